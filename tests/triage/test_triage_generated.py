"""Triage of a real pytest run: a generated suite with one or more failures of each kind.

The suite runs once (module scope) through the engine's runner, with the async plugins
disabled so an ``async def`` test is really unsupported. Nothing leaves the machine: the
refused connection goes to a loopback port that is bound but never listens.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from testing_lib.results import TestSuiteResult
from testing_lib.runner import run_pytest
from testing_lib.triage import classify, render_lines, triage

GENERATED = {
    "pytest.ini": "[pytest]\n",
    "tests/test_kinds.py": """
        import socket
        import threading

        def test_passes():
            assert True

        def test_needs_a_fixture(test_db_manager):
            pass

        def test_needs_it_too(test_db_manager):
            pass

        def test_needs_another(cache_client):
            pass

        async def test_async_one():
            assert True

        async def test_async_two():
            assert True

        def test_refused():
            bound = socket.socket()  # bound, never listening: connecting is refused
            bound.bind(("127.0.0.1", 0))
            try:
                socket.create_connection(bound.getsockname(), timeout=5)
            finally:
                bound.close()

        def test_wrong_total():
            assert 1 + 1 == 3

        def test_wrong_status():
            status_code = 404
            assert status_code == 200

        def test_waits_forever():
            threading.Event().wait()  # stopped by the per-test limit
    """,
    "tests/test_heavy.py": "import heavy_ml_toolkit_absent\n\ndef test_never():\n    pass\n",
    "tests/test_broken.py": "def test_y(:\n    pass\n",
}


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory: pytest.TempPathFactory) -> TestSuiteResult:
    root = tmp_path_factory.mktemp("triage-kinds")
    for relative, body in GENERATED.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    return run_pytest(
        cwd=root,
        selection=["tests"],
        python=sys.executable,
        extra_args=["-p", "no:asyncio", "-p", "no:anyio"],
        test_timeout_s=2,
        timeout_s=120,
    )


def test_the_generated_run_reports_what_it_was_written_to(generated_run: TestSuiteResult) -> None:
    assert generated_run.session_finished is True
    assert generated_run.passed_tests == 1
    assert generated_run.error_tests == 3  # the fixtures fail at setup
    assert generated_run.failed_tests == 6
    assert sorted(e.nodeid for e in generated_run.collection_errors) == [
        "tests/test_broken.py",
        "tests/test_heavy.py",
    ]


def test_each_kind_is_counted_as_pytest_reported_it(generated_run: TestSuiteResult) -> None:
    result = triage(generated_run)

    assert [(g.kind, g.key, g.count, g.sources) for g in result.groups] == [
        ("async_without_plugin", None, 2, {"failed": 2}),
        ("missing_fixture", "test_db_manager", 2, {"error": 2}),
        ("assertion", None, 1, {"failed": 1}),
        ("connection_refused", None, 1, {"failed": 1}),
        ("http_status", "404 == 200", 1, {"failed": 1}),
        ("missing_fixture", "cache_client", 1, {"error": 1}),
        ("missing_module", "heavy_ml_toolkit_absent", 1, {"collection_error": 1}),
        ("syntax_error", None, 1, {"collection_error": 1}),
        ("timeout", ">2s", 1, {"failed": 1}),
    ]
    reported = (
        generated_run.failed_tests
        + generated_run.error_tests
        + len(generated_run.collection_errors)
    )
    assert result.total == reported


def test_every_failure_lands_in_the_group_of_its_own_kind(
    generated_run: TestSuiteResult,
) -> None:
    groups = {(g.kind, g.key): g for g in triage(generated_run).groups}
    for failure in generated_run.failures():
        rule, key = classify(failure.error_message, failure.error_traceback)
        assert failure.test_name in groups[(rule.kind, key)].examples
    lines = render_lines(triage(generated_run), limit=1)
    assert lines[0].startswith("2 × async test no plugin ran — no async plugin ran")
    assert lines[-1] == "… and 9 more failure(s) in 8 other group(s)"
