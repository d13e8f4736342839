"""How a phase or a run that did not pass ends its Prefect run: by raising, with its report.

Raising (rather than returning a `Failed` state with data) matters twice over in Prefect
3.8: a task that returns `Failed(data=...)` is still written to the result cache, so a
failed phase would be "reused" on retry; and a flow run executed by a worker logs a
`TypeError` when a failed state's data is not an exception. The message stays one line;
the report rides along for the caller (`state.result(raise_on_failure=False)`), outside the
exception's args, so that Prefect's "Encountered exception" log line shows the message, not
the whole report (pickling still carries the report, through `__reduce__`).
"""

from __future__ import annotations

from testing_lib.report import PhaseReport, RemediationReport


class PhaseNotPassed(Exception):
    """A phase failed or errored; `report` says how."""

    def __init__(self, report: PhaseReport) -> None:
        super().__init__(f"{report.name} {report.status.value}: {report.reason}")
        self.report = report

    def __reduce__(self) -> tuple[type[PhaseNotPassed], tuple[PhaseReport]]:
        return (type(self), (self.report,))


class RemediationNotPassed(Exception):
    """A run stopped at a phase that did not pass; `report` holds every phase."""

    def __init__(self, report: RemediationReport, blocker: PhaseReport) -> None:
        super().__init__(f"stopped at {blocker.name} ({blocker.status.value}): {blocker.reason}")
        self.report = report
        self.blocker = blocker

    def __reduce__(
        self,
    ) -> tuple[type[RemediationNotPassed], tuple[RemediationReport, PhaseReport]]:
        return (type(self), (self.report, self.blocker))


def phase_report_of(outcome: object) -> PhaseReport | None:
    """The PhaseReport a phase run or task ended with, passed or not."""
    if isinstance(outcome, PhaseReport):
        return outcome
    if isinstance(outcome, PhaseNotPassed):
        return outcome.report
    return None


def remediation_report_of(outcome: object) -> RemediationReport | None:
    if isinstance(outcome, RemediationReport):
        return outcome
    if isinstance(outcome, RemediationNotPassed):
        return outcome.report
    return None


class IsolationNotPassed(Exception):
    """Isolation validation found order dependence or could not finish; `report` holds it."""

    def __init__(self, report: object, message: str) -> None:
        super().__init__(message)
        self.report = report
        self.message = message

    def __reduce__(self) -> tuple[type[IsolationNotPassed], tuple[object, str]]:
        return (type(self), (self.report, self.message))
