"""What a cure is and what its proof found: the shapes every kind of cure shares.

A `Candidate` is a kind's proposal for one failure group: the files it would write (on a
scratch copy first), whether it is safe (it changes no test's meaning: a package marker, an
import path, a configuration key) and what it does in one line. A `NoCure` says precisely
why a group has no mechanical cure. `GroupCure` is what the report shows per group after the
proof: before → after, the proof runs with their commands, the diff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from testing_lib.proof_run import ProofRun

CureStatus = Literal["proven", "refused", "no cure"]


@dataclass(frozen=True)
class Change:
    """One file a cure writes: `after` replaces `before`; a `created` file must not exist."""

    relative: str  # to the target's root, posix
    before: bytes
    after: bytes
    created: bool = False


@dataclass(frozen=True)
class Candidate:
    """A kind's proposed cure for one group, not yet proven."""

    kind: str  # the catalogue kind that made it ("async-mode", "package-markers", ...)
    summary: str  # what it does, in one line
    safe: bool
    changes: tuple[Change, ...]
    # runs the kind made to find the patch, on the same scratch copy (an order-dependent
    # pair's replay): part of the proof the report shows, before the phases' runs judge it
    proof: tuple[ProofRun, ...] = ()


@dataclass(frozen=True)
class NoCure:
    """Why a group gets no patch, said precisely (what to do by hand, where)."""

    reason: str


@dataclass
class FailureGroup:
    """Every failure of one kind and key across the phases that were run."""

    kind: str
    title: str
    key: str | None
    remediation: str  # the triage's advice, fitted to the target
    # node id -> "collection_error" | "failed" | "error" | "unfinished"
    members: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)  # node id -> its traceback text
    phases: list[str] = field(default_factory=list)
    # its failures are its members, whatever their messages say (tests known to fail only
    # after another test), rather than every failure whose message has the group's cause
    by_membership: bool = False

    @property
    def label(self) -> str:
        return f"{self.title} ({self.key})" if self.key else self.title

    def line(self, status: CureStatus, **fields: Any) -> GroupCure:
        """The group's line of the cure report, with `status` and the other `fields`."""
        return GroupCure(
            kind=self.kind,
            key=self.key,
            label=self.label,
            count=len(self.members),
            phases=list(self.phases),
            status=status,
            **fields,
        )

    @property
    def collection_errors(self) -> list[str]:
        return [node for node, source in self.members.items() if source == "collection_error"]

    @property
    def tests(self) -> list[str]:
        return [node for node, source in self.members.items() if source != "collection_error"]


class GroupCure(BaseModel):
    """One failure group's line in the cure report."""

    kind: str  # the failure kind (triage)
    key: str | None = None
    label: str
    count: int
    phases: list[str] = Field(default_factory=list)
    status: CureStatus
    cure: str | None = None  # the catalogue kind
    summary: str = ""  # what the cure does, or why there is none
    safe: bool | None = None
    held: bool = False  # proven but unsafe and not asked for by name: shown, never written
    before: str = ""  # "2 modules never collected"
    after: str = ""  # "2 modules collected: 5 tests ran: 5 passed"
    proof: list[ProofRun] = Field(default_factory=list)
    reason: str = ""  # why a cure was refused
    diff: str = ""
    files: list[str] = Field(default_factory=list)

    @property
    def applicable(self) -> bool:
        return self.status == "proven" and not self.held


class PhaseCounts(BaseModel):
    """What one run of a phase's selection did."""

    ran: int = 0  # tests that ran (passed, failed, errors, skipped)
    passed: int = 0
    failed: int = 0
    errors: int = 0
    not_collected: int = 0  # modules that failed to collect

    def text(self) -> str:
        return (
            f"{self.ran} ran: {self.passed} passed, {self.failed} failed, {self.errors} errors; "
            f"{self.not_collected} module(s) not collected"
        )


class PhaseChange(BaseModel):
    """A phase's run before the cures and with all the proven ones, on the scratch copy."""

    phase: str
    before: PhaseCounts
    after: PhaseCounts


class FirstRun(BaseModel):
    """Where a phase's run before the cures came from: the target's latest run of it (its
    files unchanged since), or a run on the scratch copy (`note` says why)."""

    phase: str
    reused: bool = False
    note: str = ""  # "using the latest run (saved 2026-12-07 22:10, files unchanged)"


class CureReport(BaseModel):
    """Every failure group of the phases run, with its cure (proven or refused) or none."""

    root: str
    phases: list[str]
    groups: list[GroupCure] = Field(default_factory=list)
    phase_changes: list[PhaseChange] = Field(default_factory=list)  # with every proven cure
    first_runs: list[FirstRun] = Field(default_factory=list)  # one per phase, in order

    @property
    def reused(self) -> list[str]:
        """The phases whose failure groups come from the target's latest run of them."""
        return [run.phase for run in self.first_runs if run.reused]

    @property
    def proven(self) -> list[GroupCure]:
        """The cures an apply writes (proven; an unsafe one only when asked for by name)."""
        return [group for group in self.groups if group.applicable]
