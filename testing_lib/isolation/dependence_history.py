"""Order dependence night after night: when each test was first seen, last seen, and fixed.

Pure functions over typed models: `advance` takes the history so far and tonight's report
and returns the new history together with what tonight found (new, known, fixed). Reading
and writing the history file is `testing_lib.isolation.history`'s job.

- new: order-dependent tonight and never seen before.
- known: order-dependent tonight and seen on an earlier night (also one that was fixed and
  is back: its `returned` says since when).
- fixed: seen before, not found again tonight; `fixed` keeps the first such night.

Only a conclusive night fixes anything: validation finished and ran the orders. When some
modules did not collect, a test that was not run tonight is not counted as fixed (its
module may be the one that broke); it stays as it was, listed as unchecked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from testing_lib.isolation.order_models import (
    IsolationReport,
    OrderDependency,
    OrderDependentTest,
)

HISTORY_VERSION = 1


class TrackedDependence(BaseModel):
    """One order-dependent test (its kind and the tests that decide its outcome)."""

    test: str
    kind: OrderDependency
    polluters: list[str] = Field(default_factory=list)  # every polluter/state-setter seen
    first_seen: datetime
    last_seen: datetime
    fixed: datetime | None = None  # the first night it was not found again
    returned: datetime | None = None  # the night it came back after being fixed

    @property
    def open(self) -> bool:
        return self.fixed is None


class IsolationHistory(BaseModel):
    """Every test found order-dependent on some night, in the order they were first seen."""

    version: int = HISTORY_VERSION
    nights: int = 0
    last_night: datetime | None = None
    last_report: str | None = None  # the file name of the last night's report
    tests: list[TrackedDependence] = Field(default_factory=list)

    def find(self, test: str) -> TrackedDependence | None:
        return next((entry for entry in self.tests if entry.test == test), None)


class NightFindings(BaseModel):
    """What one night found, measured against the nights before it."""

    night: datetime
    previous_night: datetime | None = None
    conclusive: bool  # validation finished, so absences count as fixes
    new: list[TrackedDependence] = Field(default_factory=list)
    known: list[TrackedDependence] = Field(default_factory=list)
    fixed: list[TrackedDependence] = Field(default_factory=list)
    unchecked: list[TrackedDependence] = Field(default_factory=list)  # open, not run tonight

    @property
    def new_tests(self) -> list[str]:
        return [entry.test for entry in self.new]


def night_of(report: IsolationReport) -> datetime:
    """The time that names a report's night: when validation finished (or started)."""
    return report.finished_at or report.started_at


def is_conclusive(report: IsolationReport) -> bool:
    """Validation finished and ran the orders: a test it did not flag is not order-dependent."""
    return report.error is None and bool(report.runs)


def _culprits(entry: OrderDependentTest) -> list[str]:
    return [*entry.polluters, *entry.state_setters]


def _merged(known: list[str], more: Iterable[str]) -> list[str]:
    return [*known, *(name for name in more if name not in known)]


def _was_run(report: IsolationReport, test: str) -> bool:
    return any(result.test_name == test and result.outcomes for result in report.results)


def advance(
    history: IsolationHistory,
    report: IsolationReport,
    *,
    night: datetime | None = None,
    report_name: str | None = None,
) -> tuple[IsolationHistory, NightFindings]:
    """The history after `report`'s night, and what that night found. `history` is left as
    it was."""
    when = night or night_of(report)
    conclusive = is_conclusive(report)
    findings = NightFindings(night=when, previous_night=history.last_night, conclusive=conclusive)
    tracked = {entry.test: entry.model_copy(deep=True) for entry in history.tests}
    found = {entry.test: entry for entry in report.order_dependent}
    for test, entry in found.items():
        before = tracked.get(test)
        if before is None:
            tracked[test] = TrackedDependence(
                test=test,
                kind=entry.kind,
                polluters=_culprits(entry),
                first_seen=when,
                last_seen=when,
            )
            findings.new.append(tracked[test])
            continue
        before.returned = when if before.fixed is not None else before.returned
        before.fixed = None
        before.kind = entry.kind
        before.last_seen = when
        before.polluters = _merged(before.polluters, _culprits(entry))
        findings.known.append(before)
    may_be_missing = bool(report.collection_errors)
    for test, kept in tracked.items():
        if test in found or not kept.open:
            continue
        if conclusive and not (may_be_missing and not _was_run(report, test)):
            kept.fixed = when
            findings.fixed.append(kept)
        else:
            findings.unchecked.append(kept)
    earlier = [entry.test for entry in history.tests]
    order = [*earlier, *(test for test in found if history.find(test) is None)]
    updated = IsolationHistory(
        nights=history.nights + 1,
        last_night=when,
        last_report=report_name or history.last_report,
        tests=[tracked[test] for test in order],
    )
    return updated, findings


def rebuild(reports: Iterable[tuple[str, IsolationReport]]) -> IsolationHistory:
    """The history the saved reports (name, report; oldest first) add up to."""
    history = IsolationHistory()
    for name, report in reports:
        history, _ = advance(history, report, report_name=name)
    return history
