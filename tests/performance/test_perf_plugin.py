"""The performance monitor as users meet it: `pytest --remediation-perf` on small projects."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from testing_lib.performance import MetricsStore, default_db

MEASURED = """
import asyncio

import httpx
import pytest
from sqlalchemy import create_engine, text

ENGINE = create_engine("sqlite://")
with ENGINE.connect() as warm:  # dialect initialisation happens here, not in a test
    warm.execute(text("select 1"))

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

def test_three_statements():
    with ENGINE.connect() as connection:
        for _ in range(3):
            connection.execute(text("select 1"))

def test_two_mocked_requests():
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    with httpx.Client(transport=transport) as client:
        client.get("https://api.fda.gov/drug/label.json")
        client.get("https://api.fda.gov/drug/event.json")

def test_one_in_process_asgi_request():
    async def call():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get("/")
    assert asyncio.run(call()).status_code == 200

def test_allocates():
    blob = bytearray(64 * 1024 * 1024)
    blob[::4096] = b"x" * len(blob[::4096])
    assert len(blob)

def test_fails():
    assert False

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass
"""


INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture(autouse=True)
def _quiet_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)


def _rows(db: Path) -> dict[str, tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT test, sql_statements, http_requests, outcome, wall_ms, cpu_ms, "
            "rss_before_mb, rss_after_mb, peak_rss_mb FROM test_metrics"
        ).fetchall()
    return {str(row[0]).split("::")[1]: row[1:] for row in rows}


def test_every_test_gets_one_row_with_its_sql_and_http_counts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_measured=MEASURED)

    result = pytester.runpytest("--remediation-perf", "-p", "no:randomly")

    result.assert_outcomes(passed=4, failed=1, skipped=1)
    rows = _rows(default_db(pytester.path))
    assert {name: row[:3] for name, row in rows.items()} == {
        "test_three_statements": (3, 0, "passed"),
        "test_two_mocked_requests": (0, 2, "passed"),
        "test_one_in_process_asgi_request": (0, 1, "passed"),
        "test_allocates": (0, 0, "passed"),
        "test_fails": (0, 0, "failed"),
        "test_skipped": (0, 0, "skipped"),
    }
    wall, cpu, before, after, peak = rows["test_allocates"][3:]
    assert wall > 0
    assert cpu > 0
    assert before > 0
    assert after > 0
    assert peak >= max(before, after)  # type: ignore[call-overload]
    result.stdout.fnmatch_lines(["*remediation performance*", "6 tests measured, run *"])


def test_each_run_is_stored_with_its_metadata(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    git = pytester.path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("0123abcd" * 5 + "\n")

    pytester.runpytest("--remediation-perf").assert_outcomes(passed=1)
    pytester.runpytest("--remediation-perf").assert_outcomes(passed=1)

    runs = MetricsStore(default_db(pytester.path)).runs()
    assert len(runs) == 2
    assert runs[0].run_id != runs[1].run_id
    assert runs[1].git_revision == "0123abcd" * 5
    assert runs[1].python
    assert runs[1].host
    assert runs[1].tests == 1


def test_the_ini_setting_enables_it_and_it_is_off_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")

    pytester.runpytest().assert_outcomes(passed=1)
    assert not default_db(pytester.path).exists()

    pytester.makeini(INI + "remediation_perf = true\n")
    pytester.runpytest().assert_outcomes(passed=1)
    assert default_db(pytester.path).exists()


def test_thresholds_from_the_project_config_are_reported_as_findings(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.remediation.testing.performance]
        database_query_threshold = 2
        http_request_threshold = 1
        """
    )
    pytester.makepyfile(test_measured=MEASURED)

    result = pytester.runpytest("--remediation-perf", "-p", "no:randomly")

    result.stdout.fnmatch_lines(
        [
            "threshold: *test_three_statements ran 3 SQL statements (threshold 2)",
            "threshold: *test_two_mocked_requests sent 2 HTTP requests (threshold 1)",
        ]
    )


def test_the_fixture_hands_out_the_sessions_monitor(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture="""
        def test_first(performance_monitor):
            pass

        def test_sees_the_first(performance_monitor):
            assert [m.test_name for m in performance_monitor.metrics] == [
                "test_fixture.py::test_first"
            ]
        """
    )

    pytester.runpytest("--remediation-perf", "-p", "no:randomly").assert_outcomes(passed=2)
