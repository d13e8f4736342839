"""The gate decision: does a phase's pytest run let later phases go on?

Rules: a run that did not end as pytest ends a session (timeout, a signal, no
session-finish record, interrupted, fewer tests finished than collected with no failure
to explain it) or an unusable pytest run -> errored; collection errors -> failed; nothing
executed -> failed; success rate under the threshold -> failed. A check that failed also
fails the phase. Only a complete run can pass.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Sequence

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import PhaseConfig
from testing_lib.failure_lines import collection_error_line
from testing_lib.report import CheckResult, CheckStatus, PhaseStatus
from testing_lib.results import CollectionError, TestSuiteResult

# pytest exit codes: 3 internal error, 4 usage error (a conftest that does not import ends here)
_UNUSABLE_EXIT_CODES = {3, 4}
_INTERRUPTED = 2
_EXCEPTION = re.compile(r"^E\s+\w+(Error|Exception)\b", re.MULTILINE)


def _tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


def _output_line(output: str) -> str:
    """`path:line: Exception: message` when pytest's output holds an exception, else its tail."""
    if not _EXCEPTION.search(output):
        return _tail(output)
    return collection_error_line(CollectionError(nodeid="", message=output))


def decide_gate(
    name: PhaseName,
    suite: TestSuiteResult,
    phase: PhaseConfig,
    checks: Sequence[CheckResult] = (),
) -> tuple[PhaseStatus, str]:
    """Return the phase status and a one-line reason a person can act on."""
    if suite.timed_out:
        running = f" while running {suite.running_test}" if suite.running_test else ""
        kept = suite.total_tests
        return (
            PhaseStatus.ERRORED,
            f"ran out of its time limit (timeout_s = {phase.timeout_s:g} s, checks included)"
            f"{running}; {kept} test result(s) kept "
            "(raise timeout_s or set test_timeout_s for this phase)",
        )
    incomplete = _incomplete_run(suite)
    if incomplete is not None and suite.exit_code is not None and suite.exit_code < 0:
        return PhaseStatus.ERRORED, incomplete
    if suite.exit_code in _UNUSABLE_EXIT_CODES and not suite.collection_errors:
        return (
            PhaseStatus.ERRORED,
            f"pytest could not run the selection (exit code {suite.exit_code}): "
            f"{_output_line(suite.stderr_tail)}",
        )
    if suite.collection_errors:
        count = len(suite.collection_errors)
        first = collection_error_line(suite.collection_errors[0])
        ran = (
            f"; of the tests that collected, {suite.passed_tests} passed, "
            f"{suite.failed_tests} failed, {suite.error_tests} errored"
            if suite.executed_tests
            else "; no test collected"
        )
        return PhaseStatus.FAILED, f"{count} collection error(s), first: {first}{ran}"
    if incomplete is not None:
        return PhaseStatus.ERRORED, incomplete
    if suite.executed_tests == 0:
        where = ", ".join(phase.paths) or "the whole suite"
        skipped = f" ({suite.skipped_tests} skipped)" if suite.skipped_tests else ""
        markers = f" with -m {phase.markers!r}" if phase.markers else ""
        return (
            PhaseStatus.FAILED,
            f"selected nothing: no test executed under {where}{markers}{skipped}: add tests or "
            f"change [tool.remediation.phases.{name}] paths/markers",
        )
    rate = suite.gate_success_rate
    if rate < phase.min_success_rate:
        failing = ", ".join(r.test_name for r in suite.failures()[:3])
        more = "" if len(suite.failures()) <= 3 else ", ..."
        return (
            PhaseStatus.FAILED,
            f"{suite.passed_tests}/{suite.executed_tests} passed ({rate:.1f}% < required "
            f"{phase.min_success_rate:g}%): {failing}{more}",
        )
    failed = _failed_checks(checks)
    if failed is not None:
        return PhaseStatus.FAILED, failed
    return (
        PhaseStatus.PASSED,
        f"{suite.passed_tests}/{suite.executed_tests} passed ({rate:.1f}% >= "
        f"{phase.min_success_rate:g}%)",
    )


def _progress(suite: TestSuiteResult) -> str:
    done = suite.total_tests
    of = f" of {suite.collected}" if suite.collected is not None else ""
    last = f"; last test started: {suite.running_test}" if suite.running_test else ""
    return f"after {done}{of} test(s){last}"


def _incomplete_run(suite: TestSuiteResult) -> str | None:
    """Why the run did not end as a whole pytest session, or None when it did."""
    code = suite.exit_code
    if code is not None and code < 0:
        try:
            name = f" ({signal.Signals(-code).name})"
        except ValueError:
            name = ""
        return f"pytest was killed by signal {-code}{name} {_progress(suite)}"
    if suite.session_finished is False:
        return (
            f"pytest ended (exit code {code}) without finishing its session {_progress(suite)}: "
            "something in the suite ended the process (os._exit, a crash)"
        )
    if code == _INTERRUPTED:
        return f"pytest was interrupted (exit code 2) {_progress(suite)}"
    if suite.collected is not None and suite.total_tests < suite.collected and not suite.failures():
        return (
            f"pytest finished only {suite.total_tests} of {suite.collected} collected test(s) "
            f"(exit code {code}) and reported no failure that would stop it"
        )
    return None


def _failed_checks(checks: Sequence[CheckResult]) -> str | None:
    failed = [c for c in checks if c.status is CheckStatus.FAILED]
    if not failed:
        return None
    return f"check(s) failed: {', '.join(c.name for c in failed)}: {failed[0].details}"


def decide_empty_gate(checks: Sequence[CheckResult], why: str) -> tuple[PhaseStatus, str]:
    """A phase that selects by classification and found no test of its kind: its checks
    decide; the reason says that no test was gated."""
    failed = _failed_checks(checks)
    if failed is not None:
        return PhaseStatus.FAILED, failed
    return PhaseStatus.PASSED, f"nothing to gate: {why}"
