"""run_pytest over small target projects: outcomes, collection errors and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from testing_lib.config.target import PhaseConfig
from testing_lib.gate_decision import decide_gate
from testing_lib.report import PhaseStatus
from testing_lib.results import TestStatus, TestSuiteResult
from testing_lib.runner import run_pytest


def _run(pytester: pytest.Pytester, *selection: str, **kwargs: object) -> TestSuiteResult:
    pytester.makeini("[pytest]\n")  # the target's own rootdir, away from the engine's config
    return run_pytest(
        cwd=pytester.path,
        selection=list(selection),
        python=sys.executable,
        timeout_s=60,
        **kwargs,  # type: ignore[arg-type]
    )


def _by_name(suite: TestSuiteResult) -> dict[str, tuple[TestStatus, str | None]]:
    return {r.test_name.split("::")[-1]: (r.status, r.error_message) for r in suite.results}


def test_each_outcome_is_counted_once_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_outcomes="""
        import pytest

        @pytest.fixture
        def broken_setup():
            raise RuntimeError("database is down")

        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("could not drop schema")

        def test_passes():
            pass

        def test_fails():
            assert 1 + 1 == 3

        @pytest.mark.skip(reason="not on this platform")
        def test_skipped():
            pass

        def test_skips_at_runtime():
            pytest.skip("no redis")

        @pytest.mark.xfail(reason="known bug 12")
        def test_xfails():
            assert False

        @pytest.mark.xfail(reason="fixed already", strict=True)
        def test_xpasses_strictly():
            pass

        def test_setup_errors(broken_setup):
            pass

        def test_teardown_errors(broken_teardown):
            pass
        """
    )
    suite = _run(pytester, "test_outcomes.py")

    outcomes = _by_name(suite)
    assert outcomes["test_passes"] == (TestStatus.PASSED, None)
    assert outcomes["test_fails"][0] is TestStatus.FAILED
    assert outcomes["test_fails"][1] == "assert (1 + 1) == 3"
    assert outcomes["test_skipped"] == (TestStatus.SKIPPED, "not on this platform")
    assert outcomes["test_skips_at_runtime"] == (TestStatus.SKIPPED, "no redis")
    assert outcomes["test_xfails"] == (TestStatus.SKIPPED, "xfail: known bug 12")
    assert outcomes["test_xpasses_strictly"] == (
        TestStatus.FAILED,
        "[XPASS(strict)] fixed already",
    )
    assert outcomes["test_setup_errors"] == (TestStatus.ERROR, "RuntimeError: database is down")
    assert outcomes["test_teardown_errors"] == (
        TestStatus.ERROR,
        "RuntimeError: could not drop schema",
    )
    assert (suite.passed_tests, suite.failed_tests, suite.skipped_tests, suite.error_tests) == (
        1,
        2,
        3,
        2,
    )
    assert suite.total_tests == suite.collected == 8
    assert suite.exit_code == 1
    assert not suite.timed_out
    assert suite.running_test is None


def test_results_keep_event_order_tracebacks_and_durations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_order="""
        def test_b():
            pass

        def test_a():
            raise ValueError("bad payload")
        """
    )
    suite = _run(pytester, "test_order.py")

    assert [r.test_name for r in suite.results] == [
        "test_order.py::test_b",
        "test_order.py::test_a",
    ]
    failure = suite.failures()[0]
    assert failure.error_message == "ValueError: bad payload"
    assert failure.error_traceback is not None
    assert 'raise ValueError("bad payload")' in failure.error_traceback
    assert all(r.execution_time_ms >= 0 for r in suite.results)
    assert suite.command[:5] == [sys.executable, "-m", "pytest", "-p", "remediation_collector"]
    assert suite.selection == ["test_order.py"]


def test_a_marker_expression_selects_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marked="""
        import pytest

        @pytest.mark.slow
        def test_slow():
            pass

        def test_fast():
            pass
        """
    )
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow tests\n")
    suite = run_pytest(cwd=pytester.path, selection=["test_marked.py"], markers="not slow")

    assert [r.test_name for r in suite.results] == ["test_marked.py::test_fast"]
    assert suite.collected == 1


def test_uncollectable_modules_are_collection_errors_and_hide_no_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_syntax="def test_x(:\n    pass\n",
        test_import="import no_such_module_anywhere\n\ndef test_y():\n    pass\n",
        test_fine="def test_z():\n    pass\n",
    )
    suite = _run(pytester, ".")

    errors = {e.nodeid: e.message for e in suite.collection_errors}
    assert set(errors) == {"test_syntax.py", "test_import.py"}
    assert "SyntaxError" in errors["test_syntax.py"]
    assert "no_such_module_anywhere" in errors["test_import.py"]
    assert [(r.test_name, r.status) for r in suite.results] == [
        ("test_fine.py::test_z", TestStatus.PASSED)
    ]
    assert suite.exit_code == 1  # the errors still fail the run
    status, reason = decide_gate("foundation", suite, PhaseConfig())
    assert status is PhaseStatus.FAILED
    assert reason.startswith("2 collection error(s)")


def test_a_broken_conftest_is_a_usage_error_shown_in_the_log_tail(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makeconftest("from no_such_package import settings\n")
    pytester.makepyfile(test_any="def test_x():\n    pass\n")
    log_file = tmp_path / "logs" / "pytest.log"
    suite = _run(pytester, "test_any.py", log_file=log_file)

    assert suite.exit_code == 4
    assert suite.total_tests == 0
    assert "ImportError while loading conftest" in suite.stderr_tail
    assert "no_such_package" in suite.stderr_tail
    assert suite.stderr_tail in log_file.read_text()


def test_an_empty_selection_runs_no_tests(pytester: pytest.Pytester) -> None:
    pytester.mkdir("tests")
    suite = _run(pytester, "tests")

    assert suite.exit_code == 5
    assert suite.total_tests == 0
    assert suite.collected == 0


def test_the_results_file_holds_one_event_per_line(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(test_two="def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    results_file = tmp_path / "results.jsonl"
    results_file.write_text('{"event": "result", "nodeid": "stale"}\n')  # a previous run
    suite = _run(pytester, "test_two.py", results_file=results_file)

    events = [json.loads(line)["event"] for line in results_file.read_text().splitlines()]
    assert events == [
        "session_start",
        "collected",
        "start",
        "result",
        "start",
        "result",
        "session_finish",
    ]
    assert suite.passed_tests == 2


def test_extra_env_reaches_the_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_env="""
        import os

        def test_env():
            assert os.environ["TARGET_SETTING"] == "on"
            assert "REMEDIATION_RESULTS_FILE" not in os.environ
        """
    )
    suite = _run(pytester, "test_env.py", env={"TARGET_SETTING": "on"})

    assert suite.passed_tests == 1, suite.stderr_tail
