"""foundation check "database isolation self-test": prove isolation on the target's schema.

Generates a small suite in a temporary directory that uses the target's own models
(`[tool.remediation] metadata`) and test database URL, and runs it with the target's
interpreter through `run_pytest`: every test first asserts that it sees no row another test
wrote, then writes rows across the target's foreign-key chain with `test_data_factory` and
commits. Two modules hold the same two tests in opposite orders, and the whole suite runs
under both strategies (`transaction` and `fresh`), so a leak in either direction, under
either strategy, fails a test that names the tables.
"""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Final

from testing_lib.checks.base import PhaseCheck
from testing_lib.config.target import TargetConfig
from testing_lib.exceptions import RunnerError
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.results import TestSuiteResult
from testing_lib.runner import probe_interpreter, run_pytest

NAME = "database isolation self-test"
TIMEOUT_S = 300.0
STRATEGIES: Final = ("transaction", "fresh")
TESTS_PER_STRATEGY: Final = 4

_PROBE = '''
"""Helpers of the generated isolation self-test (remediation-engine)."""

from sqlalchemy import Table, func, select

BASELINE = {}


async def table_counts(session, catalog):
    counts = {}
    for table in catalog.metadata.sorted_tables:
        counts[table.name] = await session.scalar(select(func.count()).select_from(table))
    return counts


async def assert_no_rows_from_other_tests(session, catalog, strategy):
    counts = await table_counts(session, catalog)
    baseline = BASELINE.setdefault(strategy, counts)
    leaked = {
        name: f"{counts[name]} rows, expected {baseline[name]}"
        for name in counts
        if counts[name] != baseline[name]
    }
    assert not leaked, f"rows written by an earlier test are visible ({strategy}): {leaked}"


def _depth(table, seen=()):
    parents = [fk.column.table for fk in table.foreign_keys if fk.column.table is not table]
    parents = [p for p in parents if p not in seen]
    return 1 + max((_depth(p, (*seen, table)) for p in parents), default=0)


def deepest_model(catalog):
    """The mapped class whose table has the longest chain of foreign keys above it."""
    mapped = [
        c for c in catalog.classes.values() if isinstance(getattr(c, "__table__", None), Table)
    ]
    assert mapped, f"{catalog.source} maps no class to a table"
    return max(mapped, key=lambda cls: (_depth(cls.__table__), cls.__table__.name))


async def write_and_commit(session, factory, catalog, strategy):
    model = deepest_model(catalog)
    await factory.create(model)
    await session.commit()
    counts = await table_counts(session, catalog)
    table = model.__table__.name
    assert counts[table] > BASELINE[strategy][table], f"the committed {table} row is not visible"
'''

_CONFTEST = '''
"""Runs every test of the generated isolation self-test under both strategies."""

import dataclasses

import pytest

from testing_lib.database.settings import load_database_settings


@pytest.fixture(scope="session", params=STRATEGIES)
def remediation_database_settings(request, pytestconfig):
    settings = load_database_settings(pytestconfig)
    database = settings.database.model_copy(update={{"strategy": request.param}})
    return dataclasses.replace(settings, database=database)
'''

_MODULE = '''
"""Two tests that each assert absence, then write and commit: {order}."""

from remediation_isolation_probe import assert_no_rows_from_other_tests, write_and_commit


async def _body(isolated_db, test_data_factory, remediation_models, settings):
    strategy = settings.database.strategy
    await assert_no_rows_from_other_tests(isolated_db, remediation_models, strategy)
    await write_and_commit(isolated_db, test_data_factory, remediation_models, strategy)

{tests}
'''

_TEST = """
async def test_{name}(
    isolated_db, test_data_factory, remediation_models, remediation_database_settings
):
    await _body(isolated_db, test_data_factory, remediation_models, remediation_database_settings)
"""


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def self_test_files(target: TargetConfig) -> dict[str, str]:
    """The generated suite: pyproject.toml, conftest.py, a helper and two test modules."""
    assert target.metadata is not None
    database = target.testing.database
    pyproject = "\n".join(
        [
            "[tool.pytest.ini_options]",
            'asyncio_mode = "auto"',
            'asyncio_default_fixture_loop_scope = "function"',
            'pythonpath = ["."]',
            "",
            "[tool.remediation]",
            f"metadata = {_toml(target.metadata)}",
            "",
            "[tool.remediation.testing.database]",
            f"url = {_toml(database.url)}",
            f"create_schema = {'true' if database.create_schema else 'false'}",
            "",
        ]
    )
    first, second = "first_writes", "second_writes"
    forward = "".join(_TEST.format(name=name) for name in (first, second))
    backward = "".join(_TEST.format(name=name) for name in (second, first))
    return {
        "pyproject.toml": pyproject,
        "conftest.py": f"STRATEGIES = {STRATEGIES!r}\n" + _CONFTEST.format(),
        "remediation_isolation_probe.py": _PROBE.lstrip(),
        "test_isolation_forward.py": _MODULE.format(order=f"{first} then {second}", tests=forward),
        "test_isolation_backward.py": _MODULE.format(
            order=f"{second} then {first}", tests=backward
        ),
    }


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[-1] if (text or "").strip() else "no message"


def _judge(suite: TestSuiteResult) -> CheckResult:
    expected = TESTS_PER_STRATEGY * len(STRATEGIES)
    data = {
        "passed": suite.passed_tests,
        "failed": suite.failed_tests + suite.error_tests,
        "expected": expected,
        "tests": [r.test_name for r in suite.results],
    }
    if suite.collection_errors:
        errors = "; ".join(f"{e.nodeid}: {_first_line(e.message)}" for e in suite.collection_errors)
        return CheckResult(
            name=NAME,
            status=CheckStatus.FAILED,
            details=f"the self-test could not be collected: {errors}",
            data=data,
        )
    failures = suite.failures()
    if failures:
        listed = "; ".join(f"{r.test_name}: {_first_line(r.error_message)}" for r in failures[:6])
        return CheckResult(
            name=NAME,
            status=CheckStatus.FAILED,
            details=f"{len(failures)} of {expected} self-test runs failed: {listed}",
            data=data,
        )
    if suite.passed_tests != expected or suite.timed_out:
        return CheckResult(
            name=NAME,
            status=CheckStatus.FAILED,
            details=f"the self-test passed {suite.passed_tests} of {expected} tests "
            f"(exit {suite.exit_code}{', timed out' if suite.timed_out else ''}): "
            f"{suite.stderr_tail[-500:]}",
            data=data,
        )
    return CheckResult(
        name=NAME,
        status=CheckStatus.PASSED,
        details=f"{expected} tests on the target's own schema, in both orders, under "
        f"{' and '.join(STRATEGIES)}: no test saw rows committed by another",
        data=data,
    )


def check_database_isolation(target: TargetConfig) -> CheckResult:
    if target.metadata is None:
        return CheckResult(
            name=NAME,
            status=CheckStatus.WARNING,
            details="not checked: the target names no models; add metadata = "
            '"package.module:Base" to [tool.remediation] in its pyproject.toml so that the '
            "isolated_db fixture and this self-test can use them",
        )
    try:
        info = probe_interpreter(target.python)
    except RunnerError as exc:
        return CheckResult(name=NAME, status=CheckStatus.FAILED, details=str(exc))
    missing = [
        package
        for package, present in (
            ("remediation-engine (testing_lib)", info.has_testing_lib),
            ("pytest-asyncio", info.has_pytest_asyncio),
        )
        if not present
    ]
    if missing:
        return CheckResult(
            name=NAME,
            status=CheckStatus.WARNING,
            details=f"not checked: {target.python} lacks {', '.join(missing)}; install them in "
            "the target's environment",
        )
    existing = os.environ.get("PYTHONPATH")
    pythonpath = os.pathsep.join([str(target.root), *([existing] if existing else [])])
    with tempfile.TemporaryDirectory(prefix="remediation-isolation-") as scratch:
        root = Path(scratch)
        for name, content in self_test_files(target).items():
            (root / name).write_text(textwrap.dedent(content).lstrip(), encoding="utf-8")
        try:
            suite = run_pytest(
                cwd=root,
                selection=[],
                python=target.python,
                suite_name=NAME,
                timeout_s=TIMEOUT_S,
                env={"PYTHONPATH": pythonpath},
            )
        except RunnerError as exc:
            return CheckResult(name=NAME, status=CheckStatus.FAILED, details=str(exc))
    return _judge(suite)


DB_ISOLATION_CHECK = PhaseCheck(
    name=NAME,
    description="tests on the target's own schema never see each other's rows",
    run=check_database_isolation,
)
