"""Failed runs raise exceptions that carry their report, and log one line."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from typing import Any

from flows.outcomes import IsolationNotPassed, PhaseNotPassed, RemediationNotPassed
from testing_lib.report import PhaseReport, PhaseStatus, RemediationReport


def _reports() -> tuple[RemediationReport, PhaseReport]:
    blocker = PhaseReport(name="foundation", status=PhaseStatus.FAILED, reason="2 tests failed")
    report = RemediationReport(
        target="/t", run_id="r1", started_at=datetime.now(UTC), phases=[blocker]
    )
    return report, blocker


def test_the_logged_form_is_the_message_not_the_report() -> None:
    report, blocker = _reports()
    for error, message in (
        (PhaseNotPassed(blocker), "foundation failed: 2 tests failed"),
        (RemediationNotPassed(report, blocker), "stopped at foundation (failed): 2 tests failed"),
        (IsolationNotPassed(report, "1 order-dependent test"), "1 order-dependent test"),
    ):
        assert str(error) == message
        assert repr(error) == f"{type(error).__name__}({message!r})"


def _round_trip(error: Exception) -> Any:
    return pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, as Prefect does


def test_pickling_keeps_the_report() -> None:
    report, blocker = _reports()
    phase = _round_trip(PhaseNotPassed(blocker))
    run = _round_trip(RemediationNotPassed(report, blocker))
    isolation = _round_trip(IsolationNotPassed(report, "m"))
    assert phase.report == blocker
    assert (run.report, run.blocker, str(run)) == (
        report,
        blocker,
        str(RemediationNotPassed(report, blocker)),
    )
    assert (isolation.report, isolation.message) == (report, "m")
