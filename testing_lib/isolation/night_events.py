"""The events the nightly isolation flow emits, named here for the flow that emits them and
for the automation that notifies on them.

- `NEW_FINDINGS`: the night found order-dependent tests never seen before (payload:
  `NewFindings`). Known tests, or fixes alone, do not emit it.
- `RUN_FAILED`: the night could not validate (a configuration error, a busy target,
  validation that did not finish; payload: `RunFailed`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from testing_lib.isolation.dependence_history import NightFindings, TrackedDependence

NEW_FINDINGS = "remediation.isolation.new-findings"
RUN_FAILED = "remediation.isolation.run-failed"
RESOURCE_PREFIX = "remediation.isolation."
MAX_LISTED = 50  # tests listed in an event; the counts are always complete


class FoundTest(BaseModel):
    test: str
    kind: str
    polluters: list[str] = Field(default_factory=list)


class NewFindings(BaseModel):
    """Payload of `NEW_FINDINGS`."""

    target: str
    root: str
    night: str  # ISO 8601, UTC
    new_count: int
    new: list[FoundTest]
    known_count: int
    fixed_count: int
    fixed: list[str]
    report: str | None = None  # the report's path


class RunFailed(BaseModel):
    """Payload of `RUN_FAILED`."""

    target: str
    reason: str


def _found(entry: TrackedDependence) -> FoundTest:
    return FoundTest(test=entry.test, kind=entry.kind, polluters=entry.polluters)


def new_findings(
    findings: NightFindings, *, target: str, root: str, report: str | None
) -> NewFindings | None:
    """The payload for a night with new order-dependent tests; None when nothing is new."""
    if not findings.new:
        return None
    return NewFindings(
        target=target,
        root=root,
        night=findings.night.isoformat(),
        new_count=len(findings.new),
        new=[_found(entry) for entry in findings.new[:MAX_LISTED]],
        known_count=len(findings.known),
        fixed_count=len(findings.fixed),
        fixed=[entry.test for entry in findings.fixed[:MAX_LISTED]],
        report=report,
    )


def resource(target: str) -> dict[str, str]:
    """The resource the events are about: the target."""
    return {"prefect.resource.id": f"{RESOURCE_PREFIX}{target}", "prefect.resource.name": target}
