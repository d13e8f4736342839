"""Propose the cures of a target: run its phases on a scratch copy (or take the target's
latest run of a phase where it stands for that run: `saved_run`), group the failures, and
prove each group's cure there, one after another, each on top of those kept before.

The target itself is never written here: `CurePlan.file_plans` is what an apply writes,
through the codemod journal (undoable byte for byte). A cure is kept only when each phase
its group failed in, run again with it, shows the group's failures gone, nothing lost and
no passing test failing (`verdict.judge`); at the end every phase is run once more on all
the kept cures together and compared with the first runs (`verdict.harm`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from testing_lib.codemods import FilePlan
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.cures.catalogue import propose
from testing_lib.cures.context import CureContext, Proposal
from testing_lib.cures.cure_models import (
    Candidate,
    Change,
    CureReport,
    FailureGroup,
    FirstRun,
    GroupCure,
    NoCure,
    PhaseChange,
    PhaseCounts,
)
from testing_lib.cures.groups import failure_groups
from testing_lib.cures.proving import file_plan, prove_all_at_once, prove_one
from testing_lib.cures.saved_run import first_run_source
from testing_lib.cures.verdict import harm
from testing_lib.cures.workspace import Progress, Workspace, workspace
from testing_lib.fingerprint import content_digest
from testing_lib.isolation.history import known_victims, latest_report
from testing_lib.report import PhaseReport
from testing_lib.results import TestSuiteResult
from testing_lib.storage import latest_phase_report
from testing_lib.triage import TargetFacts, target_facts

logger = logging.getLogger(__name__)

CODEMOD = "cures"  # the journal's name for what the cures write


@dataclass
class CurePlan:
    """The report, and the proven cures' files as one patch per file."""

    root: Path
    report: CureReport
    changes: dict[str, Change] = field(default_factory=dict)  # relative -> from the target
    by_group: dict[int, tuple[Change, ...]] = field(default_factory=dict)  # report index
    runs: int = 0  # pytest runs the proof made on the scratch copy
    digest: str = ""  # the target's content the cures were proven on (`content_digest`)
    first: dict[str, TestSuiteResult] = field(default_factory=dict)  # each phase, before
    last: dict[str, TestSuiteResult] = field(default_factory=dict)  # with the kept cures

    def file_plans(self) -> list[FilePlan]:
        """The proven cures as one `FilePlan` per file (cures of one file build on each
        other: the file's bytes in the target, then all of them)."""
        return [file_plan(self.root, change) for change in self.changes.values()]


def propose_cures(
    target: TargetConfig,
    phases: Sequence[PhaseName],
    *,
    facts: TargetFacts | None = None,
    only: Collection[str] = (),
    progress: Progress | None = None,
    together: bool = True,
    latest: Mapping[PhaseName, PhaseReport | None] | None = None,
) -> CurePlan:
    """Every failure group of `phases`' runs, each with its proven cure, its refused one
    (and the proof run that refused it) or why it has none. `only`: try only cures of these
    catalogue kinds. `together`: try proving them all at once first.

    A phase's first run is the target's latest run of it when that run stands for a run of
    the scratch copy (the files unchanged since, made the same way: `saved_run`), else a run
    on the copy. `latest`: a phase's latest run when the caller has it (a flow, right after
    the gate), else it is read from the target's saved runs."""
    facts = facts or target_facts(target.root, target.python)
    report = CureReport(root=str(target.root), phases=list(phases))
    plan = CurePlan(root=target.root, report=report, digest=content_digest(target.root))
    isolation = latest_report(target.root)  # names the tests that fail after another
    with workspace(target, progress) as ws:
        _seed_from_saved_runs(target, ws, phases, plan, latest, progress)
        first: dict[str, TestSuiteResult] = {phase: ws.run(phase) for phase in phases}
        plan.first = first
        context = CureContext(workspace=ws, facts=facts, isolation=isolation)
        groups = failure_groups(first, facts, known_victims(isolation))
        results = (
            _all_at_once(ws, context, groups, phases, first, only, progress, plan)
            if together
            else {}
        )
        held: list[int] = []  # unsafe cures not asked for: proven after the others, not kept
        for index, group in enumerate(groups):
            if index in results:
                continue
            proposal = propose(group, context)
            if isinstance(proposal, Candidate) and not proposal.safe and proposal.kind not in only:
                held.append(index)
                continue
            results[index] = _try(ws, plan, index, group, proposal, phases, only, progress)
        for index in held:  # on the copy with every kept cure: as it would be written
            group = groups[index]
            proposal = propose(group, context)
            results[index] = _try(
                ws, plan, index, group, proposal, phases, only, progress, keep=False
            )
        report.groups = [results[index] for index in range(len(groups))]
        plan.changes = dict(ws.kept)
        if plan.by_group:
            _check_together(ws, phases, first, plan)
        plan.runs = ws.runs
    return plan


def _seed_from_saved_runs(
    target: TargetConfig,
    ws: Workspace,
    phases: Sequence[PhaseName],
    plan: CurePlan,
    latest: Mapping[PhaseName, PhaseReport | None] | None,
    progress: Progress | None,
) -> None:
    """Take each phase's latest run as its first run on the copy where it stands for it."""
    for phase in phases:
        if latest is not None and phase in latest:
            saved = latest[phase]
        else:
            saved = latest_phase_report(target.root, phase)
        source = first_run_source(target, ws, phase, plan.digest, saved)
        logger.debug("%s: %s", phase, source.progress)
        if progress:
            progress(f"{phase}: {source.progress}")
        if source.suite is not None:
            ws.seed(phase, source.suite)
        plan.report.first_runs.append(
            FirstRun(phase=phase, reused=source.suite is not None, note=source.note)
        )


def _wanted(proposal: Candidate, only: Collection[str]) -> bool:
    """Whether a cure is tried and kept now: safe, or named (and among `only` when given)."""
    if only:
        return proposal.kind in only
    return proposal.safe


def _all_at_once(
    ws: Workspace,
    context: CureContext,
    groups: Sequence[FailureGroup],
    phases: Sequence[PhaseName],
    first: dict[str, TestSuiteResult],
    only: Collection[str],
    progress: Progress | None,
    plan: CurePlan,
) -> dict[int, GroupCure]:
    """Every cure to try written at once and each phase run once with them: their lines
    when that proves them all, else nothing (the copy as it was; one at a time follows)."""
    entries: list[tuple[int, FailureGroup, Candidate]] = []
    written = []
    for index, group in enumerate(groups):
        proposal = propose(group, context)
        if isinstance(proposal, Candidate) and _wanted(proposal, only):
            entries.append((index, group, proposal))
            written.append(ws.write(proposal.changes))
    if len(entries) < 2:  # one cure alone costs the same either way
        for previous in reversed(written):
            ws.restore(previous, first)
        return {}
    if progress:
        progress(f"proving {len(entries)} cures together")
    results = prove_all_at_once(ws, entries, written, phases, first)
    if results is None:
        return {}
    for index, _, candidate in entries:
        plan.by_group[index] = candidate.changes
    return results


def _try(
    ws: Workspace,
    plan: CurePlan,
    index: int,
    group: FailureGroup,
    proposal: Proposal,
    phases: Sequence[PhaseName],
    only: Collection[str],
    progress: Progress | None,
    *,
    keep: bool = True,
) -> GroupCure:
    """The group's line of the report: why it has no cure, or its cure proven (or refused)."""
    if proposal is None or isinstance(proposal, NoCure):
        return _no_cure(group, proposal.reason if proposal else group.remediation)
    if only and proposal.kind not in only:
        return _no_cure(
            group, f"not tried ({proposal.kind} is not among --only): {proposal.summary}"
        )
    if progress:
        progress(f"proving {proposal.kind} for {group.label}")
    cured = prove_one(ws, group, proposal, phases, keep=keep)
    if cured.status == "proven" and not cured.held:
        plan.by_group[index] = proposal.changes
    return cured


def counts(suite: TestSuiteResult) -> PhaseCounts:
    return PhaseCounts(
        ran=len(suite.results),
        passed=suite.passed_tests,
        failed=suite.failed_tests,
        errors=suite.error_tests,
        not_collected=len(suite.collection_errors),
    )


def _no_cure(group: FailureGroup, reason: str) -> GroupCure:
    return group.line("no cure", summary=reason)


def _check_together(
    ws: Workspace,
    phases: Sequence[PhaseName],
    first: dict[str, TestSuiteResult],
    plan: CurePlan,
) -> None:
    """Every phase on all the kept cures together, against its first run: a harm refuses
    them all (which one caused it is not known without more runs)."""
    problems = []
    for phase in phases:
        plan.last[phase] = ws.run(phase)
        problems += [f"{phase}: {problem}" for problem in harm(first[phase], plan.last[phase])]
        plan.report.phase_changes.append(
            PhaseChange(phase=phase, before=counts(first[phase]), after=counts(plan.last[phase]))
        )
    if not problems:
        return
    for index in plan.by_group:
        group = plan.report.groups[index]
        group.status = "refused"
        group.reason = "together with the other cures: " + "; ".join(problems)
    plan.by_group.clear()
    plan.changes.clear()
