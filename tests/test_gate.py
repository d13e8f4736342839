from __future__ import annotations

from testing_lib.config import PhaseConfig
from testing_lib.gate_decision import decide_gate
from testing_lib.report import CheckResult, CheckStatus, PhaseStatus
from testing_lib.results import CollectionError, TestResult, TestStatus, TestSuiteResult


def suite(*statuses: TestStatus, **extra: object) -> TestSuiteResult:
    results = [
        TestResult(test_name=f"tests/test_x.py::test_{i}", status=s, execution_time_ms=1.0)
        for i, s in enumerate(statuses)
    ]
    return TestSuiteResult.from_results("foundation", results, **extra)


PHASE = PhaseConfig(paths=["tests/unit"])
P, F, S, E = TestStatus.PASSED, TestStatus.FAILED, TestStatus.SKIPPED, TestStatus.ERROR


def test_all_passed_with_skips_passes_the_gate() -> None:
    status, reason = decide_gate("foundation", suite(P, P, S), PHASE)
    assert status is PhaseStatus.PASSED
    assert "2/2 passed" in reason


def test_one_failure_fails_the_default_threshold_and_names_the_test() -> None:
    status, reason = decide_gate("foundation", suite(P, F), PHASE)
    assert status is PhaseStatus.FAILED
    assert "tests/test_x.py::test_1" in reason


def test_errors_count_against_the_success_rate() -> None:
    status, _ = decide_gate("foundation", suite(P, E), PHASE)
    assert status is PhaseStatus.FAILED


def test_a_lower_threshold_lets_some_failures_through() -> None:
    lenient = PhaseConfig(paths=["tests/unit"], min_success_rate=50)
    assert decide_gate("foundation", suite(P, F), lenient)[0] is PhaseStatus.PASSED
    assert decide_gate("foundation", suite(P, F, F), lenient)[0] is PhaseStatus.FAILED


def test_nothing_executed_fails_and_names_the_config_key() -> None:
    status, reason = decide_gate("foundation", suite(S, S), PHASE)
    assert status is PhaseStatus.FAILED
    assert "selected nothing" in reason
    assert "[tool.remediation.phases.foundation]" in reason


def test_collection_errors_fail_even_when_tests_passed() -> None:
    broken = suite(
        P, collection_errors=[CollectionError(nodeid="tests/test_y.py", message="E   SyntaxError")]
    )
    status, reason = decide_gate("foundation", broken, PHASE)
    assert status is PhaseStatus.FAILED
    assert "tests/test_y.py" in reason


def test_timeout_errors_and_names_the_running_test() -> None:
    hung = suite(P, timed_out=True, running_test="tests/test_x.py::test_hang")
    status, reason = decide_gate("foundation", hung, PHASE)
    assert status is PhaseStatus.ERRORED
    assert "tests/test_x.py::test_hang" in reason


def test_unusable_pytest_run_errors_with_its_output() -> None:
    broken = suite(
        exit_code=4,
        stderr_tail=(
            "ImportError while loading conftest 'tests/conftest.py'.\n"
            "E   ModuleNotFoundError: No module named 'nope'"
        ),
    )
    status, reason = decide_gate("foundation", broken, PHASE)
    assert status is PhaseStatus.ERRORED
    assert "No module named 'nope'" in reason


def test_a_failed_check_fails_a_green_suite() -> None:
    check = CheckResult(name="test environment", status=CheckStatus.FAILED, details="no pytest")
    status, reason = decide_gate("foundation", suite(P), PHASE, [check])
    assert status is PhaseStatus.FAILED
    assert "test environment" in reason


def test_a_warning_check_does_not_fail_the_phase() -> None:
    check = CheckResult(name="test environment", status=CheckStatus.WARNING, details="hmm")
    assert decide_gate("foundation", suite(P), PHASE, [check])[0] is PhaseStatus.PASSED


def test_suite_rates_follow_the_seed_and_the_gate() -> None:
    result = suite(P, P, F, S)
    assert result.success_rate == 50.0
    assert result.gate_success_rate == 2 / 3 * 100
    assert result.executed_tests == 3
    assert TestSuiteResult(suite_name="empty").success_rate == 0.0
