"""The injected `remediation_monitor` plugin as the engine meets it: through `run_pytest`, in
an interpreter that does not have this project, and its `Counters` in-process."""

from __future__ import annotations

import ast
import logging
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from testing_lib.performance import TestPerformanceMetrics, prepare_monitor, read_monitor_file
from testing_lib.performance.counters import Counters
from testing_lib.runner import probe_interpreter, run_pytest
from testing_lib.runner.runner import INJECT_DIR
from tests.conftest import write_tree
from tests.test_flows import _interpreter_without_this_project

OUTCOMES = """
import pytest

def test_passes():
    pass

def test_fails():
    assert 1 + 1 == 3

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

def test_errors_in_setup(broken):
    pass

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

def test_allocates():
    blob = bytearray(64 * 1024 * 1024)
    blob[::4096] = b"x" * len(blob[::4096])
    assert len(blob)
"""

SQL_AND_HTTP = """
import asyncio

import httpx
from sqlalchemy import create_engine, text

ENGINE = create_engine("sqlite://")
with ENGINE.connect() as warm:  # dialect initialisation happens here, not in a test
    warm.execute(text("select 1"))

def test_three_statements():
    with ENGINE.connect() as connection:
        for _ in range(3):
            connection.execute(text("select 1"))

def test_two_mocked_requests():
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    with httpx.Client(transport=transport) as client:
        client.get("https://api.fda.gov/drug/label.json")
        client.get("https://api.fda.gov/drug/event.json")

def test_one_async_request():
    async def call():
        transport = httpx.MockTransport(lambda request: httpx.Response(204))
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get("https://api.fda.gov/drug/label.json")
    assert asyncio.run(call()).status_code == 204

def test_nothing():
    pass
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
MONITOR = INJECT_DIR / "remediation_monitor.py"


@pytest.fixture(scope="module")
def bare_python() -> str:
    python = _interpreter_without_this_project()
    if python is None:
        pytest.skip("no interpreter with pytest but without this project on this machine")
    assert not probe_interpreter(python).has_testing_lib
    return python


def _monitored(
    root: Path, files: dict[str, str], python: str, *extra: str
) -> dict[str, TestPerformanceMetrics]:
    write_tree(root, {"pytest.ini": INI, **files})
    metrics_file = root / "out" / "metrics.jsonl"
    args, env = prepare_monitor(metrics_file)
    run_pytest(
        cwd=root,
        selection=["."],
        python=python,
        extra_args=[*args, "-p", "no:randomly", *extra],
        env=env,
        timeout_s=120,
    )
    rows = read_monitor_file(metrics_file)
    by_name = {row.test_name.split("::")[1]: row for row in rows}
    assert len(by_name) == len(rows), "one row per test"
    return by_name


def _imports_at_import_time(statements: list[ast.stmt]) -> set[str]:
    """Modules imported when the module loads: top level and try blocks, not functions,
    classes or `if TYPE_CHECKING:`."""
    names: set[str] = set()
    for node in statements:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            names.add(str(node.module).split(".")[0])
        elif isinstance(node, ast.Try):
            names |= _imports_at_import_time(node.body)
    return names


def test_the_monitor_module_loads_with_the_standard_library_and_pytest_only() -> None:
    tree = ast.parse(MONITOR.read_text(encoding="utf-8"), feature_version=(3, 9))

    foreign = {
        name
        for name in _imports_at_import_time(tree.body)
        if name not in sys.stdlib_module_names and name not in {"pytest", "_pytest"}
    }

    assert foreign == set()


def test_a_target_without_this_project_gets_one_row_per_test_with_its_outcome(
    tmp_path: Path, bare_python: str
) -> None:
    rows = _monitored(tmp_path, {"test_outcomes.py": OUTCOMES}, bare_python)

    assert {name: row.outcome for name, row in rows.items()} == {
        "test_passes": "passed",
        "test_fails": "failed",
        "test_errors_in_setup": "error",
        "test_skipped": "skipped",
        "test_allocates": "passed",
    }
    for row in rows.values():
        assert row.execution_time_ms > 0
        assert row.rss_before_mb > 0
        assert row.rss_after_mb > 0
        assert row.peak_rss_mb >= max(row.rss_before_mb, row.rss_after_mb)
        assert (row.database_queries, row.http_requests) == (0, 0)
    assert rows["test_allocates"].peak_rss_mb > rows["test_allocates"].rss_before_mb


def test_sql_statements_and_http_requests_are_counted_in_the_target_process(
    tmp_path: Path,
) -> None:
    rows = _monitored(tmp_path, {"test_calls.py": SQL_AND_HTTP}, sys.executable)

    assert {name: (r.database_queries, r.http_requests) for name, r in rows.items()} == {
        "test_three_statements": (3, 0),
        "test_two_mocked_requests": (0, 2),
        "test_one_async_request": (0, 1),
        "test_nothing": (0, 0),
    }


def test_every_xdist_worker_appends_its_own_rows(tmp_path: Path) -> None:
    many = "\n".join(f"def test_{i}():\n    pass\n" for i in range(20))

    rows = _monitored(tmp_path, {"test_many.py": many}, sys.executable, "-n", "2")

    assert sorted(rows) == sorted(f"test_{i}" for i in range(20))
    assert {row.outcome for row in rows.values()} == {"passed"}


def test_without_its_file_variable_the_monitor_writes_nothing(
    tmp_path: Path, bare_python: str
) -> None:
    write_tree(tmp_path, {"pytest.ini": INI, "test_one.py": "def test_one():\n    pass\n"})
    args, _ = prepare_monitor(tmp_path / "metrics.jsonl")

    suite = run_pytest(
        cwd=tmp_path, selection=["."], python=bare_python, extra_args=args, timeout_s=120
    )

    assert suite.passed_tests == 1
    assert not (tmp_path / "metrics.jsonl").exists()


def test_a_truncated_line_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text(
        '{"test_name": "t.py::test_a", "execution_time_ms": 1.5, "memory_usage_mb": 0,'
        ' "database_queries": 2, "http_requests": 0, "outcome": "passed"}\n'
        '{"test_name": "t.py::test_b", "execution_ti\n',
        encoding="utf-8",
    )

    with caplog.at_level(logging.WARNING):
        rows = read_monitor_file(path)

    assert [(r.test_name, r.database_queries) for r in rows] == [("t.py::test_a", 2)]
    assert "skipped 1 unreadable line" in caplog.text
    assert read_monitor_file(tmp_path / "missing.jsonl") == []


def test_counters_count_statements_and_requests_once_the_libraries_are_imported() -> None:
    counters = Counters()
    engine = create_engine("sqlite://")
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    original_send = httpx.Client.send
    try:
        counters.install_available()
        with engine.connect() as connection:
            connection.execute(text("select 1"))
            connection.execute(text("select 2"))
        with httpx.Client(transport=transport) as client:
            client.get("http://app/")
    finally:
        counters.uninstall()

    assert (counters.sql, counters.http) == (2, 1)
    assert httpx.Client.send is original_send
    with engine.connect() as connection:
        connection.execute(text("select 3"))
    assert counters.sql == 2  # uninstalled: no longer counting


def test_counters_uninstalled_out_of_order_leave_the_other_counting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for client_class in (httpx.Client, httpx.AsyncClient):  # the pass-through wrapper left
        monkeypatch.setattr(client_class, "send", client_class.send)  # behind goes after
    first, second = Counters(), Counters()
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    try:
        first.install_available()
        second.install_available()  # wraps first's wrapper
        first.uninstall()  # not on top: its wrapper stays, passing through
        with httpx.Client(transport=transport) as client:
            client.get("http://app/")
    finally:
        second.uninstall()
        first.uninstall()

    assert (first.http, second.http) == (0, 1)
    with httpx.Client(transport=transport) as client:
        client.get("http://app/")
    assert (first.http, second.http) == (0, 1)
