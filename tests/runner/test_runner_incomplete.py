"""A pytest run that does not end as a whole session never passes a gate."""

from __future__ import annotations

import sys

import pytest

from testing_lib.config import PhaseConfig
from testing_lib.gate_decision import decide_gate
from testing_lib.report import PhaseStatus
from testing_lib.results import CollectionError, TestSuiteResult
from testing_lib.runner import run_pytest

PHASE = PhaseConfig(paths=["tests"])


def _run(pytester: pytest.Pytester) -> TestSuiteResult:
    pytester.makeini("[pytest]\n")
    return run_pytest(cwd=pytester.path, selection=["."], python=sys.executable, timeout_s=120)


def test_a_test_that_sigkills_its_own_pytest_errors_the_gate(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_suicide="""
        import os, signal

        def test_first():
            pass

        def test_kills_pytest():
            os.kill(os.getpid(), signal.SIGKILL)

        def test_never_runs():
            pass
        """
    )
    suite = _run(pytester)
    assert suite.exit_code == -9
    assert suite.session_finished is False
    status, reason = decide_gate("foundation", suite, PHASE)
    assert status is PhaseStatus.ERRORED
    assert "killed by signal 9 (SIGKILL) after 1 of 3 test(s)" in reason
    assert "last test started: test_suicide.py::test_kills_pytest" in reason


def test_a_suite_that_exits_without_finishing_its_session_errors(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_exit="""
        import os

        def test_first():
            pass

        def test_leaves():
            os._exit(0)
        """
    )
    suite = _run(pytester)
    assert suite.exit_code == 0
    status, reason = decide_gate("foundation", suite, PHASE)
    assert status is PhaseStatus.ERRORED
    assert "without finishing its session after 1 of 2 test(s)" in reason


def test_a_session_that_finishes_fewer_tests_than_it_collected_errors(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtestloop(session):
            for item in session.items[:1]:
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=None)
            return True
        """
    )
    pytester.makepyfile(test_some="def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    suite = _run(pytester)
    assert suite.session_finished is True
    status, reason = decide_gate("foundation", suite, PHASE)
    assert status is PhaseStatus.ERRORED
    assert "finished only 1 of 2 collected test(s)" in reason


def test_stop_on_first_failure_fails_without_erroring(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_a():\n    assert False\n\ndef test_b():\n    pass\n")
    pytester.makeini("[pytest]\naddopts = -x\n")
    suite = run_pytest(cwd=pytester.path, selection=["."], python=sys.executable, timeout_s=120)
    status, _ = decide_gate("foundation", suite, PHASE)
    assert status is PhaseStatus.FAILED


def test_deselected_tests_do_not_count_as_unfinished(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_x="""
        import pytest

        def test_a():
            pass

        @pytest.mark.slow
        def test_b():
            pass
        """
    )
    pytester.makeini("[pytest]\nmarkers = slow\n")
    suite = run_pytest(
        cwd=pytester.path, selection=["."], python=sys.executable, timeout_s=120, markers="not slow"
    )
    assert decide_gate("foundation", suite, PHASE)[0] is PhaseStatus.PASSED


def test_a_syntax_error_is_reported_at_its_file_and_line(pytester: pytest.Pytester) -> None:
    (pytester.path / "tests" / "unit").mkdir(parents=True)
    (pytester.path / "tests" / "unit" / "test_x.py").write_text(
        "def test_a():\n    pass\n\ndef test_b(:\n    pass\n"
    )
    suite = _run(pytester)
    status, reason = decide_gate("foundation", suite, PHASE)
    assert status is PhaseStatus.FAILED
    first = "tests/unit/test_x.py:4: SyntaxError: invalid syntax"
    assert reason == f"1 collection error(s), first: {first}; no test collected"


def test_an_import_error_is_reported_at_the_importing_line() -> None:
    error = CollectionError(
        nodeid="tests/unit/test_y.py",
        message=(
            "ImportError while importing test module '/x/tests/unit/test_y.py'.\n"
            "Traceback:\n"
            "/usr/lib/python3.11/importlib/__init__.py:126: in import_module\n"
            "    return _bootstrap._gcd_import(name[level:], package, level)\n"
            "tests/unit/test_y.py:1: in <module>\n"
            "    import nothere\n"
            "E   ModuleNotFoundError: No module named 'nothere'\n"
        ),
    )
    suite = TestSuiteResult(suite_name="foundation", collection_errors=[error], exit_code=2)
    _, reason = decide_gate("foundation", suite, PHASE)
    assert "first: tests/unit/test_y.py:1: ModuleNotFoundError: No module named 'nothere'" in reason
