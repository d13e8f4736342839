"""The fix for a polluter whose writes outlive it: the test runs on an isolated database.

A test that calls the app through the app's own session dependency commits to the
process-wide database; nothing rolls that back, and every later test sees the rows (an
in-memory SQLite database included, which the leak detector cannot read). The fix is the
smallest one: the polluter requests, with `@pytest.mark.usefixtures`, the fixture that maps
the app's session dependency onto `isolated_db` for that test, so what it commits is rolled
back after it:

- `isolated_db` when `[tool.remediation]` configures `app` and `session_dependency` (the
  plugin then overrides the dependency for every test that requests it);
- `dependency_container` when only `app` is configured: it applies the project's own
  `remediation_dependency_overrides` (where teams map their session dependency onto
  `isolated_db_dependency`) to the app, and undoes them after the test.

Which fixture comes from the target's configuration; whether it cures the pair, the proof
decides. The module is edited with libcst, keeping its formatting.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import libcst as cst

from testing_lib.config.pyproject import PyprojectError, remediation_table
from testing_lib.isolation.fix_fixture import ensure_pytest_import


class NotRequestable(ValueError):
    """The fixture cannot be requested by that test (not found, or requests it already)."""


def isolating_fixture(root: Path) -> str | None:
    """The fixture that puts `root`'s app session on an isolated database, if configured."""
    try:
        table = remediation_table(root)
    except PyprojectError:
        return None
    if not table or not isinstance(table.get("app"), str):
        return None
    return (
        "isolated_db"
        if isinstance(table.get("session_dependency"), str)
        else ("dependency_container")
    )


def _qualname(nodeid: str) -> tuple[str, ...]:
    """`("Class", "test")` of `module.py::Class::test[param]`."""
    parts = nodeid.split("::")[1:]
    if parts:
        parts[-1] = parts[-1].split("[", 1)[0]
    return tuple(parts)


def _mark_names(decorators: Sequence[cst.Decorator]) -> set[str]:
    """Fixture names the `pytest.mark.usefixtures(...)` decorators already request."""
    names: set[str] = set()
    for decorator in decorators:
        call = decorator.decorator
        if not isinstance(call, cst.Call):
            continue
        if cst.Module([]).code_for_node(call.func).endswith("mark.usefixtures"):
            for arg in call.args:
                if isinstance(arg.value, cst.SimpleString):
                    names.add(str(arg.value.evaluated_value))
    return names


def usefixtures_names(function: cst.FunctionDef) -> list[str]:
    """What `function` requests with `pytest.mark.usefixtures`, in order."""
    return sorted(_mark_names(function.decorators))


class RequestFixture(cst.CSTTransformer):
    """Adds `@pytest.mark.usefixtures(FIXTURE)` to each test named by a qualified name
    (module-level functions and methods of module-level classes)."""

    def __init__(self, tests: Sequence[tuple[str, ...]], fixture: str) -> None:
        super().__init__()
        self.tests = set(tests)
        self.fixture = fixture
        self.scope: list[str] = []
        self.marked: set[tuple[str, ...]] = set()
        self.already: set[tuple[str, ...]] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.scope.append(node.name.value)
        return len(self.scope) == 1  # tests in nested classes are left alone

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self.scope.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.scope.append(node.name.value)
        return False  # functions nested in a test are not tests

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        qualname = tuple(self.scope)
        self.scope.pop()
        if qualname not in self.tests:
            return updated_node
        params = [p.name.value for p in original_node.params.params]
        if self.fixture in params or self.fixture in _mark_names(original_node.decorators):
            self.already.add(qualname)
            return updated_node
        self.marked.add(qualname)
        mark = cst.Decorator(
            decorator=cst.parse_expression(f'pytest.mark.usefixtures("{self.fixture}")')
        )
        return updated_node.with_changes(decorators=[*updated_node.decorators, mark])


def request_fixture(source: str, tests: Sequence[str], fixture: str) -> str:
    """`source` with each test of `tests` (node ids) requesting `fixture`, `import pytest`
    added when missing. Raises NotRequestable when no test could be changed."""
    wanted = [_qualname(test) for test in tests]
    transformer = RequestFixture(wanted, fixture)
    module = cst.parse_module(source).visit(transformer)
    if not transformer.marked:
        if transformer.already:
            raise NotRequestable(f"it requests {fixture} already")
        raise NotRequestable("it is not a function or method this fix can mark")
    return ensure_pytest_import(module).code
