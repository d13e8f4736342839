"""The fix when a cleaner exists: its reset, as a fixture the victim requests.

The validator found a test (the cleaner) that, run between the polluter and the victim,
makes the victim pass again: its body undoes what the polluter leaves. When the cleaner is
a plain function without parameters, its body becomes a fixture in the victim's module
(with the imports it needs, copied from the cleaner's module) and the victim requests it
with `@pytest.mark.usefixtures`. This is the idea of iFixFlakies, proven like every other
fix before it is offered.
"""

from __future__ import annotations

import ast
import builtins
import textwrap

import libcst as cst

from testing_lib.isolation.fix_fixture import insert_fixture, is_docstring


class NoCleanerFix(ValueError):
    """The cleaner's body cannot be moved (parameters, async, names it cannot carry)."""


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def _bound_at_top(tree: ast.Module) -> dict[str, ast.stmt]:
    """Names a module binds at its top level, with the statement binding each."""
    bound: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        bound[leaf.id] = node
    return bound


def _free_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    loaded: set[str] = set()
    stored: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, ast.alias):
            stored.add((node.asname or node.name).split(".")[0])
    return loaded - stored - set(dir(builtins))


def _import_line(statement: ast.stmt, name: str) -> str:
    """One import statement binding just `name`, as the cleaner's module wrote it."""
    if isinstance(statement, ast.Import):
        alias = next(a for a in statement.names if (a.asname or a.name).split(".")[0] == name)
        return f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
    assert isinstance(statement, ast.ImportFrom)
    if statement.level:
        raise NoCleanerFix(f"it uses {name}, imported relatively in the cleaner's module")
    alias = next(a for a in statement.names if (a.asname or a.name) == name)
    return f"from {statement.module} import {alias.name}" + (
        f" as {alias.asname}" if alias.asname else ""
    )


def fixture_name(cleaner: str, *, setup: bool = False) -> str:
    return f"_{'setup' if setup else 'reset'}_like_{cleaner}"


def cleaner_fix(
    cleaner_source: str,
    cleaner: str,
    victim_source: str,
    victim: str,
    cleaner_id: str,
    *,
    setup: bool = False,
) -> str:
    """`victim_source` with the cleaner's reset as a fixture its test `victim` requests;
    with `setup`, the body is a state-setter's (for a brittle test) rather than a reset."""
    cleaner_tree = ast.parse(cleaner_source)
    function = _function(cleaner_tree, cleaner)
    if function is None:
        raise NoCleanerFix(f"{cleaner} is not a module-level function")
    if isinstance(function, ast.AsyncFunctionDef):
        raise NoCleanerFix(f"{cleaner} is async")
    arguments = function.args
    if arguments.args or arguments.kwonlyargs or arguments.vararg or arguments.kwarg:
        raise NoCleanerFix(f"{cleaner} takes fixtures; its reset needs them too")
    victim_tree = ast.parse(victim_source)
    if _function(victim_tree, victim) is None:
        raise NoCleanerFix(f"{victim} is not a module-level function")
    in_victim = _bound_at_top(victim_tree)
    in_cleaner = _bound_at_top(cleaner_tree)
    imports = []
    for name in sorted(_free_names(function)):
        if name in in_victim:
            continue
        statement = in_cleaner.get(name)
        if not isinstance(statement, ast.Import | ast.ImportFrom):
            raise NoCleanerFix(f"it uses {name}, which the victim's module cannot import")
        imports.append(_import_line(statement, name))
    body_lines = ast.get_source_segment(cleaner_source, function, padded=False)
    assert body_lines is not None
    body = cst.parse_module(textwrap.dedent(body_lines)).body[0]
    assert isinstance(body, cst.FunctionDef)
    code = _body_code(body)
    name = fixture_name(cleaner, setup=setup)
    purpose = (
        f'    """Set up, for the test that requests it, what it relied on an earlier test\n'
        f"    for: the body of {cleaner_id} (written by"
        if setup
        else f'    """Reset, before the test that requests it, what an earlier test can leave\n'
        f"    behind: the body of {cleaner_id}, which undoes it (written by"
    )
    fixture = (
        "@pytest.fixture\n"
        f"def {name}():\n"
        f"{purpose}\n"
        '    `remediate isolation --fix`, which proved the order that failed passes)."""\n'
        + textwrap.indent(textwrap.dedent(code), "    ")
    )
    patched = insert_fixture(victim_source, fixture, imports=imports)
    module = cst.parse_module(patched).visit(_RequestFixture(victim, name))
    return module.code


def _body_code(function: cst.FunctionDef) -> str:
    """The statements of `function`'s body, as written (docstring dropped)."""
    if not isinstance(function.body, cst.IndentedBlock):
        raise NoCleanerFix(f"{function.name.value} is written on one line")
    statements = list(function.body.body)
    if statements and is_docstring(statements[0]):
        statements = statements[1:]
    if not statements:
        raise NoCleanerFix(f"{function.name.value} has no statements")
    lines = [
        s for s in statements if isinstance(s, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    ]
    return cst.Module(body=lines).code


class _RequestFixture(cst.CSTTransformer):
    """Adds `@pytest.mark.usefixtures(NAME)` to the module-level function `test`."""

    def __init__(self, test: str, fixture: str) -> None:
        super().__init__()
        self.test = test
        self.fixture = fixture
        self.depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return False  # nested functions are not the module-level test

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.depth -= 1
        if self.depth or original_node.name.value != self.test:
            return updated_node
        mark = cst.Decorator(
            decorator=cst.parse_expression(f'pytest.mark.usefixtures("{self.fixture}")')
        )
        return updated_node.with_changes(decorators=[*updated_node.decorators, mark])

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False
