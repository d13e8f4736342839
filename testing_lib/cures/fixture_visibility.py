"""A fixture not found that the project defines elsewhere: make it visible to its tests.

pytest finds a fixture in the test's module, the conftest.py files above it, and the
plugins. When exactly one module of the project defines the missing fixture (a helper
module a reorganization left out of reach, a conftest.py in a sibling folder), each failing
test module imports it: `from tests.fixtures.db import test_db_manager  # noqa: F401`
(pytest registers fixtures a test module imports). An import changes no test's meaning:
safe; the proof shows the tests now find it. No definition anywhere, or several, is said
as such.
"""

from __future__ import annotations

import ast

from testing_lib.cures.context import CureContext, Proposal, module_path
from testing_lib.cures.cure_models import Candidate, Change, FailureGroup, NoCure
from testing_lib.cures.moved_imports import importable_name

KIND = "fixture-import"
_FIXTURE_DECORATORS = {"fixture", "pytest.fixture", "pytest_asyncio.fixture"}


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    parts = []
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if isinstance(target, ast.Name):
        parts.append(target.id)
    return ".".join(reversed(parts))


def _fixture_name(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name a fixture function registers (`name=` of its decorator, else its own)."""
    for decorator in node.decorator_list:
        if _decorator_name(decorator) in _FIXTURE_DECORATORS:
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        return str(keyword.value.value)
            return node.name
    return None


def defines_fixture(source: str, name: str) -> str | None:
    """The function that defines fixture `name` at the top level of `source`, if one does."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _fixture_name(node) == name:
            return node.name
    return None


def with_import(source: str, module: str, name: str) -> str:
    """`source` with `from module import name  # noqa: F401` after its leading imports."""
    tree = ast.parse(source)
    line = 0
    for node in tree.body:
        docstring = (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        if isinstance(node, ast.Import | ast.ImportFrom) or (docstring and line == 0):
            line = node.end_lineno or node.lineno
            continue
        break
    lines = source.splitlines(keepends=True)
    statement = f"from {module} import {name}  # noqa: F401\n"
    if lines and line and not lines[line - 1].endswith("\n"):
        lines[line - 1] += "\n"
    return "".join([*lines[:line], statement, *lines[line:]])


def propose(group: FailureGroup, context: CureContext) -> Proposal:
    """An import of the one module that defines the missing fixture, in each failing module."""
    name = group.key
    if not name:
        return None
    definers: list[tuple[str, str]] = []
    for module in context.facts.modules:
        if not module.endswith(".py"):
            continue
        found = context.text(module)
        function = defines_fixture(found, name) if found and name in found else None
        if function is not None:
            definers.append((module, function))
    if not definers:
        return NoCure(
            f"no module of the project defines a fixture `{name}`: define it in a conftest.py "
            "the tests can see, or request a fixture that exists"
        )
    if len(definers) > 1:
        where = ", ".join(module for module, _ in definers[:3])
        return NoCure(
            f"{len(definers)} modules define a fixture `{name}` ({where}): import the one "
            "meant, or move it to a conftest.py the tests can see"
        )
    ((definer, function),) = definers
    if function != name:
        return None  # registered under another name: importing the function is not enough
    dotted = importable_name(definer)
    changes: dict[str, Change] = {}
    for node in group.tests:
        user = module_path(context, node)
        if user is None or user in changes or user == definer:
            continue
        source = context.text(user)
        if source is None:
            return None
        try:
            changes[user] = context.edit(user, with_import(source, dotted, name))
        except SyntaxError:
            return None
    if not changes:
        return None
    return Candidate(
        KIND,
        f"import the fixture `{name}` from {definer} in {len(changes)} test module(s)",
        True,
        tuple(changes.values()),
    )
