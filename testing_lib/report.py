"""What a remediation run reports: checks, phases, the whole run (`RemediationReport`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from testing_lib.config.phases import PhaseName
from testing_lib.results import TestSuiteResult
from testing_lib.triage import TriageGroup


class CheckStatus(StrEnum):
    PASSED = "passed"
    WARNING = "warning"  # reported, does not fail the phase
    FAILED = "failed"  # fails the phase
    NOT_JUDGED = "not_judged"  # nothing to judge (no test ran, no data): why in details


class CheckResult(BaseModel):
    name: str
    status: CheckStatus
    details: str
    data: dict[str, Any] = Field(default_factory=dict)
    duration_s: float | None = None  # wall time of the check
    # "gate": judged from the phase gate's own run; "own": ran what it needed alongside the
    # gate; "deep": a deep check's extra runs (`remediate run --deep`, nightly)
    source: Literal["gate", "own", "deep"] = "own"


class PhaseStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERRORED = "errored"
    NOT_RUN = "not_run"
    STOPPED = "stopped"  # the run was stopped (SIGTERM, Ctrl-C) while this phase ran


class PhaseReport(BaseModel):
    name: PhaseName
    status: PhaseStatus
    reason: str
    suite: TestSuiteResult | None = None
    checks: list[CheckResult] = Field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reused: bool = False  # taken from an earlier passing run on the same content
    warnings: list[str] = Field(default_factory=list)  # what the verdict may not cover
    # deep checks a daytime run left out (they run with `remediate run --deep` and nightly)
    deep_checks_not_run: list[str] = Field(default_factory=list)
    triage: list[TriageGroup] = Field(default_factory=list)  # the gate's failures by kind
    # What the gate ran on, to tell whether its run still stands for the target: the
    # target's `content_digest` when the phase started, and its `run_conditions` (the
    # phase's configuration, the interpreter, what the gate's checks added to the run).
    content_digest: str | None = None
    run_conditions: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class RemediationReport(BaseModel):
    target: str
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    phases: list[PhaseReport] = Field(default_factory=list)
    stopped: str | None = None  # what stopped the run before it finished (e.g. "SIGTERM")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """True when every selected phase ran and passed its gate."""
        return bool(self.phases) and all(p.status is PhaseStatus.PASSED for p in self.phases)
