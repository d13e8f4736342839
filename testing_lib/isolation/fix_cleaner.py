"""The fix when a cleaner exists: its reset, as a fixture the victim requests.

The validator found a test (the cleaner) that, run between the polluter and the victim,
makes the victim pass again: its body undoes what the polluter leaves. The cleaner's body
becomes a fixture in the victim's module (requesting the cleaner's fixtures, async when the
cleaner is, with the imports it needs copied from the cleaner's module) and the victim
requests it with `@pytest.mark.usefixtures`. This is the idea of iFixFlakies, proven like
every other fix before it is offered.
"""

from __future__ import annotations

import ast
import builtins
import textwrap

import libcst as cst

from testing_lib.isolation.fix_fixture import insert_fixture, is_docstring
from testing_lib.isolation.fix_session import RequestFixture, usefixtures_names


class NoCleanerFix(ValueError):
    """The cleaner's body cannot be moved (arguments that are not fixtures, names the
    victim's module cannot import, a body written on one line)."""


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


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The fixtures `function` requests as arguments (each of them, by name)."""
    arguments = function.args
    if arguments.vararg or arguments.kwarg or arguments.kwonlyargs:
        raise NoCleanerFix(f"{function.name} takes *args, **kwargs or keyword-only arguments")
    if arguments.defaults:
        raise NoCleanerFix(f"{function.name} has arguments with defaults, not fixtures")
    return [arg.arg for arg in [*arguments.posonlyargs, *arguments.args]]


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
    with `setup`, the body is a state-setter's (for a brittle test) rather than a reset.

    The fixture requests what the cleaner requests (its arguments, after the fixtures of its
    `usefixtures` marks, so those are set up first) and is async when the cleaner is."""
    cleaner_tree = ast.parse(cleaner_source)
    function = _function(cleaner_tree, cleaner)
    if function is None:
        raise NoCleanerFix(f"{cleaner} is not a module-level function")
    definition = next(
        statement
        for statement in cst.parse_module(cleaner_source).body
        if isinstance(statement, cst.FunctionDef) and statement.name.value == cleaner
    )
    parameters = _parameters(function)
    requested = [
        *(name for name in usefixtures_names(definition) if name not in parameters),
        *parameters,
    ]
    victim_tree = ast.parse(victim_source)
    if _function(victim_tree, victim) is None:
        raise NoCleanerFix(f"{victim} is not a module-level function")
    in_victim = _bound_at_top(victim_tree)
    in_cleaner = _bound_at_top(cleaner_tree)
    imports = []
    for name in sorted(_free_names(function) - set(parameters)):
        if name in in_victim:
            continue
        statement = in_cleaner.get(name)
        if not isinstance(statement, ast.Import | ast.ImportFrom):
            raise NoCleanerFix(f"it uses {name}, which the victim's module cannot import")
        imports.append(_import_line(statement, name))
    code = _body_code(definition)
    name = fixture_name(cleaner, setup=setup)
    purpose = (
        '    """Set up, for the test that requests it, what it relied on an earlier test for:\n'
        f"    the body of {cleaner_id}\n"
        if setup
        else '    """Reset, before the test that requests it, what an earlier test can leave\n'
        f"    behind: the body of {cleaner_id}, which undoes it\n"
    )
    is_async = isinstance(function, ast.AsyncFunctionDef)
    decorator = "@pytest.fixture"
    if is_async and "pytest_asyncio" in in_cleaner:
        decorator = "@pytest_asyncio.fixture"  # strict mode needs it; the module has it
        if "pytest_asyncio" not in in_victim:
            imports.append("import pytest_asyncio")
    signature = f"{'async ' if is_async else ''}def {name}({', '.join(requested)}):"
    if len(signature) > 88:  # one argument per line, as black and ruff format it
        listed = "".join(f"    {argument},\n" for argument in requested)
        signature = f"{'async ' if is_async else ''}def {name}(\n{listed}):"
    fixture = (
        f"{decorator}\n"
        f"{signature}\n"
        f"{purpose}"
        "    (written by remediate, which proved the order that failed\n"
        '    passes)."""\n' + textwrap.indent(textwrap.dedent(code), "    ")
    )
    patched = insert_fixture(victim_source, fixture, imports=imports)
    module = cst.parse_module(patched).visit(RequestFixture([(victim,)], name))
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
