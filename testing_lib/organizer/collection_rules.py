"""pytest's collection rules, applied to a module's AST instead of its imported namespace.

What a module yields (pytest 8/9, `python_functions`/`python_classes` from the target):

- every callable in the module namespace whose name matches `python_functions`, unless it
  is a `@pytest.fixture` (definitions, `name = lambda`, and functions imported from
  elsewhere: an imported test is collected again here). The namespace is a dict, so a
  later definition replaces an earlier one of the same name;
- every class whose name matches `python_classes`, unless it (or a base) defines
  `__init__`/`__new__`, is a dataclass/NamedTuple/pydantic model/exception, or has
  `__test__ = False`; its test methods come from the whole MRO (inherited ones included,
  static and class methods too), and nested matching classes are collected inside it;
- every `unittest.TestCase` subclass whatever its name, with its `test*` methods;
- a test function containing `yield` fails its whole module, unless a decorator other
  than a mark wraps it (`@contextmanager`, `@asynccontextmanager` return a plain function,
  which pytest collects as an ordinary test);
- each `@pytest.mark.parametrize` multiplies the items of what it decorates (stacked
  marks multiply; an empty argvalues list still yields one item); class and module
  `pytestmark` apply to every test beneath.

Parametrized fixtures multiply too; that needs the conftest files and is done by the
audit from `CollectedTest.fixtures`.

`ModuleCollector` applies these rules; `collection_marks` reads the marks,
`class_rules` decides which classes count, and `collection_results` holds what it yields.
"""

from __future__ import annotations

import ast
import fnmatch

from testing_lib.organizer.class_rules import (
    class_body_defs,
    decorator_names,
    init_reason,
    is_unittest,
    module_mro,
)
from testing_lib.organizer.collection_marks import Marks, marks_of, pytestmark_expressions
from testing_lib.organizer.collection_results import CollectedTest, ModuleTests, RuleProblem
from testing_lib.organizer.scan import ScanResult, dotted

FIXTURE_DECORATORS = ("pytest.fixture", "fixture", "pytest_asyncio.fixture")


def matches(name: str, patterns: tuple[str, ...]) -> bool:
    """pytest's rule for python_functions/python_classes: a prefix, or a glob."""
    for pattern in patterns:
        if name.startswith(pattern):
            return True
        if any(c in pattern for c in "*?[") and fnmatch.fnmatch(name, pattern):
            return True
    return False


def is_fixture(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(dotted(d) in FIXTURE_DECORATORS for d in node.decorator_list)


def _wrapped(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A decorator other than a mark may replace the function (`@contextmanager` returns a
    plain function): pytest then sees no generator, so 'yield' in it is no error."""
    return any(
        not (name or "").startswith(("pytest.mark.", "mark.")) and name != "staticmethod"
        for name in (dotted(d) for d in node.decorator_list)
    )


def _requests(node: ast.FunctionDef | ast.AsyncFunctionDef, skip_first: bool) -> list[str]:
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    without_default = positional[: len(positional) - len(arguments.defaults)]
    names = [a.arg for a in without_default]
    names += [
        a.arg for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is None
    ]
    if skip_first and names:
        names = names[1:]
    return names


class ModuleCollector:
    """Apply pytest's collection rules to one parsed module."""

    def __init__(
        self,
        tree: ast.Module,
        *,
        function_patterns: tuple[str, ...],
        class_patterns: tuple[str, ...],
        scanned: ScanResult,
    ) -> None:
        self.tree = tree
        self.scanned = scanned
        self.function_patterns = function_patterns
        self.class_patterns = class_patterns
        self.result = ModuleTests()
        self.namespace: dict[str, ast.AST] = {}
        self.conditional: set[str] = set()
        self.constants: dict[str, ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}

    # -- namespace ---------------------------------------------------------------------------

    def _bind(self, statements: list[ast.stmt], conditional: bool) -> None:
        for statement in statements:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                previous = self.namespace.get(statement.name)
                if (
                    isinstance(previous, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and not conditional
                    and matches(statement.name, self.function_patterns)
                    and not is_fixture(previous)
                ):
                    self.result.problems.append(
                        RuleProblem(
                            "shadowed_test",
                            statement.lineno,
                            f"{statement.name} is defined again here (first at line "
                            f"{previous.lineno}); pytest only sees the last one: rename one",
                        )
                    )
                self.namespace[statement.name] = statement
                if isinstance(statement, ast.ClassDef):
                    self.classes[statement.name] = statement
                if conditional:
                    self.conditional.add(statement.name)
            elif isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        self.namespace[target.id] = statement.value
                        self.constants[target.id] = statement.value
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                if statement.value is not None:
                    self.namespace[statement.target.id] = statement.value
                    self.constants[statement.target.id] = statement.value
            elif isinstance(statement, ast.If):
                if _is_main_guard(statement):
                    continue
                self._bind(statement.body, True)
                self._bind(statement.orelse, True)
            elif isinstance(statement, ast.Try):
                self._bind(statement.body, conditional)
                for handler in statement.handlers:
                    self._bind(handler.body, True)
                self._bind(statement.orelse, True)
                self._bind(statement.finalbody, conditional)
            elif isinstance(statement, ast.With):
                self._bind(statement.body, conditional)

    # -- classes ------------------------------------------------------------------------------

    def _class_tests(
        self,
        node: ast.ClassDef,
        prefix: str,
        inherited: Marks,
        depth: int = 0,
    ) -> list[CollectedTest]:
        notes: list[str] = []
        mro = module_mro(node, self.classes, notes)
        namespace: dict[str, ast.AST] = {}
        disabled = None
        for klass in mro:  # nearest first: its names win
            names, test_disabled, problems = class_body_defs(klass)
            if klass is node:
                self.result.problems.extend(problems)
            for key, value in names.items():
                namespace.setdefault(key, value)
            if disabled is None and any(
                isinstance(s, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__test__" for t in s.targets)
                for s in klass.body
            ):
                disabled = test_disabled
        if disabled:
            return []
        qual = f"{prefix}{node.name}"
        unittest_style = is_unittest(node, self.classes)
        if not unittest_style:
            reason = init_reason(mro)
            if reason is not None:
                test_methods = [
                    k
                    for k, v in namespace.items()
                    if isinstance(v, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and matches(k, self.function_patterns)
                ]
                if test_methods:
                    self.result.problems.append(
                        RuleProblem(
                            "test_class_with_init",
                            node.lineno,
                            f"pytest does not collect class {qual} ({reason}): its "
                            f"{len(test_methods)} test(s) never run; move the set-up into a "
                            "fixture or setup_method and drop the constructor",
                        )
                    )
                return []
        class_marks = inherited
        for klass in reversed(mro):
            class_marks = class_marks.combine(
                marks_of(
                    [*klass.decorator_list, *pytestmark_expressions(klass.body)], self.constants
                )
            )
        if notes:
            class_marks = class_marks.combine(Marks(exact=False, note=notes[0]))
        tests: list[CollectedTest] = []
        for name, value in namespace.items():
            if isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if unittest_style:
                    if name.startswith("test"):
                        tests.append(
                            CollectedTest(
                                f"{qual}::{name}",
                                value.lineno,
                                1,
                                True,
                                (),
                                self.scanned.fingerprints.get(id(value)),
                            )
                        )
                    continue
                if not matches(name, self.function_patterns) or is_fixture(value):
                    continue
                tests.append(self._function_test(value, f"{qual}::", class_marks, method=True))
            elif isinstance(value, ast.ClassDef) and not unittest_style and depth < 10:
                if matches(name, self.class_patterns):
                    tests += self._class_tests(value, f"{qual}::", class_marks, depth + 1)
            elif isinstance(value, ast.Lambda) and matches(name, self.function_patterns):
                tests.append(CollectedTest(f"{qual}::{name}", value.lineno, 1, True, (), None))
        return tests

    # -- functions ----------------------------------------------------------------------------

    def _function_test(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        prefix: str,
        inherited: Marks,
        *,
        method: bool,
    ) -> CollectedTest:
        marks = inherited.combine(marks_of(node.decorator_list, self.constants))
        decorators = decorator_names(node)
        skip_first = method and "staticmethod" not in decorators
        requests = [n for n in _requests(node, skip_first) if n not in marks.argnames]
        fixtures = tuple(dict.fromkeys([*requests, *marks.usefixtures]))
        if id(node) in self.scanned.generators and not _wrapped(node):
            self.result.problems.append(
                RuleProblem(
                    "generator_test",
                    node.lineno,
                    f"test {prefix}{node.name} contains 'yield': pytest refuses the whole module "
                    "('yield' keyword is allowed in fixtures, but not in tests); make it a "
                    "fixture or return normally",
                    breaks_collection=True,
                )
            )
        return CollectedTest(
            f"{prefix}{node.name}",
            node.lineno,
            marks.multiplier,
            marks.exact,
            fixtures,
            self.scanned.fingerprints.get(id(node)),
            marks.note,
        )

    # -- the module -----------------------------------------------------------------------------

    def collect(self, imported: dict[str, int]) -> ModuleTests:
        """Collect the module's tests; `imported` maps names bound by imports to their line.

        Imported names that match the patterns are not counted here (the audit resolves
        them to the module they come from).
        """
        body = self.tree.body
        self._bind(body, False)
        for statement in body:
            if (
                isinstance(statement, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__test__" for t in statement.targets)
                and isinstance(statement.value, ast.Constant)
                and not statement.value.value
            ):
                self.result.notes.append("module sets __test__ = False")
                return self.result
        module_marks = marks_of(pytestmark_expressions(body), self.constants)
        if "pytest_generate_tests" in self.namespace:
            module_marks = module_marks.combine(
                Marks(exact=False, note="pytest_generate_tests parametrizes at collection")
            )
        for name, value in self.namespace.items():
            if name in imported:
                continue
            if isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not matches(name, self.function_patterns):
                    continue
                if is_fixture(value):
                    self.result.fixture_test_names.append(name)
                    continue
                test = self._function_test(value, "", module_marks, method=False)
                if name in self.conditional:
                    test.exact = False
                    test.note = "defined under a condition"
                self.result.tests.append(test)
            elif isinstance(value, ast.ClassDef):
                if matches(name, self.class_patterns) or is_unittest(value, self.classes):
                    tests = self._class_tests(value, "", module_marks)
                    if name in self.conditional:
                        for test in tests:
                            test.exact = False
                            test.note = "defined under a condition"
                    self.result.tests += tests
            elif isinstance(value, ast.Lambda) and matches(name, self.function_patterns):
                self.result.tests.append(CollectedTest(name, value.lineno, 1, True, (), None))
            elif (
                isinstance(value, (ast.Call, ast.Attribute))
                and matches(name, self.function_patterns)
                and not isinstance(value, ast.Constant)
            ):
                self.result.notes.append(
                    f"{name} is assigned a value computed at import; pytest collects it if callable"
                )
        self._uncollected_lookalikes(body)
        return self.result

    def _uncollected_lookalikes(self, body: list[ast.stmt]) -> None:
        """Test-looking functions and classes that pytest will not collect."""
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = statement.name
                if is_fixture(statement):
                    continue
                looks = name.lower().startswith("test") or name.endswith("_test")
                if looks and not matches(name, self.function_patterns):
                    self.result.problems.append(
                        RuleProblem(
                            "uncollected_test",
                            statement.lineno,
                            f"function {name} looks like a test but does not match "
                            f"python_functions {list(self.function_patterns)}: pytest never "
                            f"runs it; rename it test_{name.lower().removeprefix('test_')}",
                        )
                    )
                if matches(name, self.function_patterns):
                    for outer, inner in self.scanned.nested:
                        if (
                            outer is statement
                            and isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef))
                            and matches(inner.name, self.function_patterns)
                        ):
                            self.result.problems.append(
                                RuleProblem(
                                    "uncollected_test",
                                    inner.lineno,
                                    f"test {inner.name} is nested inside {name}: pytest only "
                                    "collects module-level and class-level tests; move it out",
                                )
                            )
            elif isinstance(statement, ast.ClassDef):
                name = statement.name
                if matches(name, self.class_patterns) or is_unittest(statement, self.classes):
                    continue
                methods = [
                    s.name
                    for s in statement.body
                    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and matches(s.name, self.function_patterns)
                ]
                if methods and (name.lower().startswith("test") or "test" in name.lower()):
                    self.result.problems.append(
                        RuleProblem(
                            "uncollected_test",
                            statement.lineno,
                            f"class {name} has test methods ({', '.join(methods[:3])}) but does "
                            f"not match python_classes {list(self.class_patterns)}: pytest "
                            f"never runs them; rename it Test{name.replace('Tests', '')}",
                        )
                    )


def _is_main_guard(statement: ast.If) -> bool:
    test = statement.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def is_main_guard(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.If) and _is_main_guard(statement)
