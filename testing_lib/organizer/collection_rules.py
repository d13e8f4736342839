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
- each `@pytest.mark.parametrize` multiplies the items of what it decorates (stacked
  marks multiply; an empty argvalues list still yields one item); class and module
  `pytestmark` apply to every test beneath.

Parametrized fixtures multiply too; that needs the conftest files and is done by the
audit from `CollectedTest.fixtures`.
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass, field

from testing_lib.organizer.fingerprint import Fingerprint
from testing_lib.organizer.scan import ScanResult, dotted

PARAMETRIZE = ("pytest.mark.parametrize", "mark.parametrize")
USEFIXTURES = ("pytest.mark.usefixtures", "mark.usefixtures")
FIXTURE_DECORATORS = ("pytest.fixture", "fixture", "pytest_asyncio.fixture")
# Bases whose classes have an __init__ pytest refuses to collect around.
INIT_BASES = {
    "Exception",
    "BaseException",
    "ValueError",
    "RuntimeError",
    "NamedTuple",
    "typing.NamedTuple",
    "BaseModel",
    "pydantic.BaseModel",
    "dict",
    "list",
    "tuple",
    "set",
    "str",
    "int",
    "Enum",
    "enum.Enum",
}
HARMLESS_BASES = {"object", "ABC", "abc.ABC"}


@dataclass
class Count:
    """A number of items and whether it is certain."""

    value: int
    exact: bool = True
    note: str | None = None


@dataclass
class CollectedTest:
    qualname: str  # "test_x", "TestA::test_y", "TestA::TestB::test_z"
    line: int
    multiplier: int  # parametrize cases (1 when not parametrized)
    exact: bool
    fixtures: tuple[str, ...]  # fixture names it requests (args, usefixtures)
    fingerprint: Fingerprint | None
    note: str | None = None


@dataclass
class RuleProblem:
    kind: str  # a ProblemKind value
    line: int
    message: str
    breaks_collection: bool = False


@dataclass
class ModuleTests:
    tests: list[CollectedTest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[RuleProblem] = field(default_factory=list)
    fixture_test_names: list[str] = field(default_factory=list)


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


def count_values(node: ast.AST | None, constants: dict[str, ast.AST]) -> Count:
    """How many cases an argvalues/params expression yields, statically if possible."""
    if node is None:
        return Count(1, False, "argvalues missing")
    if isinstance(node, ast.Name) and node.id in constants:
        return count_values(constants[node.id], {})
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            return Count(max(1, len(node.elts)), False, "starred argvalues")
        return Count(len(node.elts))
    if isinstance(node, ast.Dict):
        return Count(len(node.keys))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        values = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, int)
        ]
        if len(values) == len(node.args):
            return Count(len(range(*values)))
    if isinstance(node, ast.ListComp) and len(node.generators) == 1:
        generator = node.generators[0]
        if not generator.ifs:
            return count_values(generator.iter, constants)
    return Count(1, False, "argvalues computed at run time")


@dataclass
class _Marks:
    multiplier: int = 1
    exact: bool = True
    argnames: set[str] = field(default_factory=set)
    usefixtures: list[str] = field(default_factory=list)
    note: str | None = None

    def empty(self) -> bool:
        return (
            self.multiplier == 1
            and self.exact
            and not self.argnames
            and not self.usefixtures
            and self.note is None
        )

    def combine(self, other: _Marks) -> _Marks:
        if other.empty():
            return self
        if self.empty():
            return other
        return _Marks(
            self.multiplier * other.multiplier,
            self.exact and other.exact,
            self.argnames | other.argnames,
            self.usefixtures + other.usefixtures,
            self.note or other.note,
        )


def _argnames(node: ast.AST | None) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {n.strip() for n in node.value.split(",") if n.strip()}
    if isinstance(node, (ast.List, ast.Tuple)):
        return {
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        }
    return set()


def marks_of(expressions: list[ast.expr], constants: dict[str, ast.AST]) -> _Marks:
    """What parametrize/usefixtures marks among `expressions` do to the tests they reach."""
    marks = _Marks()
    if not expressions:
        return marks
    for expression in expressions:
        if not isinstance(expression, ast.Call):
            continue
        name = dotted(expression.func)
        if name in PARAMETRIZE:
            keywords = {k.arg: k.value for k in expression.keywords if k.arg}
            names_node = expression.args[0] if expression.args else keywords.get("argnames")
            values_node = (
                expression.args[1] if len(expression.args) > 1 else keywords.get("argvalues")
            )
            count = count_values(values_node, constants)
            indirect = keywords.get("indirect")
            argnames = _argnames(names_node)
            if not (isinstance(indirect, ast.Constant) and indirect.value is True):
                marks.argnames |= argnames
            marks.multiplier *= max(1, count.value)
            if not count.exact:
                marks.exact = False
                marks.note = marks.note or count.note
        elif name in USEFIXTURES:
            marks.usefixtures += [
                a.value
                for a in expression.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
    return marks


def pytestmark_expressions(body: list[ast.stmt]) -> list[ast.expr]:
    """The marks of a `pytestmark = mark` or `pytestmark = [marks]` assignment in `body`."""
    found: list[ast.expr] = []
    for statement in body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets
        ):
            value = statement.value
            found.extend(value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value])
    return found


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


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    return {name for d in node.decorator_list if (name := dotted(d))}


def _class_body_defs(
    node: ast.ClassDef,
) -> tuple[dict[str, ast.AST], bool, list[RuleProblem]]:
    """A class body's namespace: defined names (last wins), and whether `__test__ = False`."""
    namespace: dict[str, ast.AST] = {}
    test_disabled = False
    problems: list[RuleProblem] = []
    seen_lines: dict[str, int] = {}
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if statement.name in seen_lines and statement.name.startswith("test"):
                problems.append(
                    RuleProblem(
                        "shadowed_test",
                        statement.lineno,
                        f"{node.name}.{statement.name} is defined again here (first at line "
                        f"{seen_lines[statement.name]}); pytest only sees the last one: "
                        "rename one of them",
                    )
                )
            seen_lines[statement.name] = statement.lineno
            namespace[statement.name] = statement
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    if (
                        target.id == "__test__"
                        and isinstance(statement.value, ast.Constant)
                        and not statement.value.value
                    ):
                        test_disabled = True
                    namespace[target.id] = statement.value
    return namespace, test_disabled, problems


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

    def _bases(self, node: ast.ClassDef) -> list[str]:
        return [name for b in node.bases if (name := dotted(b))]

    def _is_unittest(self, node: ast.ClassDef, depth: int = 0) -> bool:
        for base in self._bases(node):
            if base.endswith("TestCase"):
                return True
            local = self.classes.get(base)
            if local is not None and local is not node and depth < 20:
                if self._is_unittest(local, depth + 1):
                    return True
        return False

    def _mro(self, node: ast.ClassDef, notes: list[str], depth: int = 0) -> list[ast.ClassDef]:
        """The class and its in-module bases, depth first (close enough to C3 here)."""
        order = [node]
        if depth > 20:
            return order
        for base in self._bases(node):
            local = self.classes.get(base)
            if local is not None and local is not node:
                order += [c for c in self._mro(local, notes, depth + 1) if c not in order]
            elif base not in HARMLESS_BASES and base not in INIT_BASES:
                notes.append(f"base class {base} of {node.name} is not in this module")
        return order

    def _init_reason(self, mro: list[ast.ClassDef]) -> str | None:
        for klass in mro:
            names = _decorator_names(klass)
            if names & {"dataclass", "dataclasses.dataclass", "attr.s", "attrs.define", "define"}:
                return f"{klass.name} is a dataclass (it gets an __init__)"
            for base in self._bases(klass):
                if base in INIT_BASES:
                    return f"{klass.name} derives from {base}, which has an __init__"
            for statement in klass.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    statement.name in ("__init__", "__new__")
                ):
                    return f"{klass.name} defines {statement.name}"
        return None

    def _class_tests(
        self,
        node: ast.ClassDef,
        prefix: str,
        inherited: _Marks,
        depth: int = 0,
    ) -> list[CollectedTest]:
        notes: list[str] = []
        mro = self._mro(node, notes)
        namespace: dict[str, ast.AST] = {}
        disabled = None
        for klass in mro:  # nearest first: its names win
            names, test_disabled, problems = _class_body_defs(klass)
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
        unittest_style = self._is_unittest(node)
        if not unittest_style:
            reason = self._init_reason(mro)
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
            class_marks = class_marks.combine(_Marks(exact=False, note=notes[0]))
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
        inherited: _Marks,
        *,
        method: bool,
    ) -> CollectedTest:
        marks = inherited.combine(marks_of(node.decorator_list, self.constants))
        decorators = _decorator_names(node)
        skip_first = method and "staticmethod" not in decorators
        requests = [n for n in _requests(node, skip_first) if n not in marks.argnames]
        fixtures = tuple(dict.fromkeys([*requests, *marks.usefixtures]))
        if id(node) in self.scanned.generators:
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
                _Marks(exact=False, note="pytest_generate_tests parametrizes at collection")
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
                if matches(name, self.class_patterns) or self._is_unittest(value):
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
                if matches(name, self.class_patterns) or self._is_unittest(statement):
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
