"""The gate decision: does a phase's pytest run let later phases go on?

Rules (ARCHITECTURE.md): timeout or an unusable pytest run -> errored; collection errors
-> failed; nothing executed -> failed; success rate under the threshold -> failed.
A check that failed also fails the phase.
"""

from __future__ import annotations

from collections.abc import Sequence

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import PhaseConfig
from testing_lib.report import CheckResult, CheckStatus, PhaseStatus
from testing_lib.results import TestSuiteResult

# pytest exit codes: 3 internal error, 4 usage error (a conftest that does not import ends here)
_UNUSABLE_EXIT_CODES = {3, 4}


def _tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


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
            f"timed out after {phase.timeout_s:g}s{running}; {kept} test result(s) kept "
            "(raise timeout_s or set test_timeout_s for this phase)",
        )
    if suite.exit_code in _UNUSABLE_EXIT_CODES and not suite.collection_errors:
        return (
            PhaseStatus.ERRORED,
            f"pytest could not run the selection (exit code {suite.exit_code}): "
            f"{_tail(suite.stderr_tail)}",
        )
    if suite.collection_errors:
        first = suite.collection_errors[0]
        message = _tail(first.message, 2)
        return (
            PhaseStatus.FAILED,
            f"{len(suite.collection_errors)} collection error(s), first in {first.nodeid}: "
            f"{message}",
        )
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
