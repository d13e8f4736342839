"""State a test leaves behind, grouped by test, and what to do about each kind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from testing_lib.isolation.order_models import LeakedState, StateLeak

FIXES: Final[dict[LeakedState, str]] = {
    "env": "set environment variables with monkeypatch.setenv/delenv so pytest restores them",
    "cwd": "change directory with monkeypatch.chdir (or work in tmp_path) so pytest restores it",
    "threads": "stop and join the threads the test starts, in its fixture's teardown",
    "open_files": "close what the test opens (with-blocks, or a fixture that closes after yield)",
    "random": "use a local random.Random(seed) instead of seeding or consuming the global one",
    "dependency_overrides": (
        "remove the dependency override after yield in the fixture that sets it "
        "(app.dependency_overrides.pop(dep) or .clear())"
    ),
    "module_globals": (
        "patch module-level state with monkeypatch.setattr, or reset it in a fixture after yield"
    ),
    "database_rows": (
        "write inside a rolled-back transaction (isolated_db) instead of committing to a "
        "shared database"
    ),
    "sys_path": (
        "add import paths with monkeypatch.syspath_prepend (restored after the test), or "
        "configure pythonpath in the pytest configuration"
    ),
    "sys_modules": (
        "do not delete or re-import the project's modules in a test (code that imported the "
        "old module keeps it); patch what you need with monkeypatch, or restore sys.modules "
        "in the fixture's teardown"
    ),
    "fixture_values": (
        "do not change a module- or session-scoped fixture's value in place: copy it in the "
        "test (copy.deepcopy) or give the fixture function scope"
    ),
    "temp_files": (
        "write scratch files under tmp_path (a folder of each test's own) instead of a fixed "
        "path in the temp folder, or remove them in the fixture's teardown"
    ),
}


def leaks_by_test(leaks: Iterable[StateLeak]) -> dict[str, list[StateLeak]]:
    grouped: dict[str, list[StateLeak]] = {}
    for leak in leaks:
        grouped.setdefault(leak.test, []).append(leak)
    return grouped


def leak_advice(leaks: Iterable[StateLeak]) -> list[str]:
    """One line per leaked state: what stayed changed and how to undo it."""
    return [f"leaves {leak.detail}: {FIXES[leak.state]}" for leak in leaks]
