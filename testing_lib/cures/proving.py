"""Proving cures on the workspace: one at a time, or all at once.

All at once is the fast path: every cure written into the copy, each phase run once with
all of them; it holds when every group is cured and nothing is lost or broken. Else the
cures are proven one at a time, each on top of those kept before, so the report says which
cure refused and why (a cure is never refused for what another one did).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from testing_lib.codemods import FilePlan
from testing_lib.config.phases import PhaseName
from testing_lib.cures.cure_models import (
    Candidate,
    Change,
    FailureGroup,
    GroupCure,
)
from testing_lib.cures.verdict import harm, judge
from testing_lib.cures.workspace import Workspace
from testing_lib.proof_run import ProofRun
from testing_lib.results import TestSuiteResult


def file_plan(root: Path, change: Change) -> FilePlan:
    """`change` as the codemod journal writes it, in the tree at `root`."""
    return FilePlan(
        path=root / change.relative,
        relative=change.relative,
        before=change.before,
        after=change.after,
        created=change.created,
    )


def cure_line(ws: Workspace, group: FailureGroup, candidate: Candidate) -> GroupCure:
    """The group's line of the report for `candidate`, before its proof (refused until then)."""
    return group.line(
        "refused",
        cure=candidate.kind,
        summary=candidate.summary,
        safe=candidate.safe,
        diff="".join(file_plan(ws.origin, change).diff() for change in candidate.changes),
        files=[change.relative for change in candidate.changes],
        proof=list(candidate.proof),
    )


def record(
    ws: Workspace,
    result: GroupCure,
    group: FailureGroup,
    before: Mapping[str, TestSuiteResult],
    after: Mapping[str, TestSuiteResult],
    phases: Sequence[PhaseName],
) -> list[str]:
    """Judge the group's phases from `before`/`after` into `result`; the problems found."""
    concerned = [phase for phase in phases if phase in group.phases]
    befores, afters, problems = [], [], []
    for phase in concerned:
        verdict = judge(group, before[phase], after[phase])
        command = ws.command(phase)
        result.proof.append(ProofRun(name="before", phase=phase, command=command, passed=True))
        result.proof.append(
            ProofRun(
                name="after",
                phase=phase,
                command=command,
                passed=verdict.cured,
                detail="; ".join(verdict.problems) or verdict.after,
            )
        )
        befores.append(verdict.before)
        afters.append(verdict.after)
        problems += [f"{phase}: {problem}" for problem in verdict.problems]
    result.before, result.after = befores[0], afters[0]  # the first phase's, the narrowest
    return problems


def prove_one(
    ws: Workspace,
    group: FailureGroup,
    candidate: Candidate,
    phases: Sequence[PhaseName],
    *,
    keep: bool = True,
) -> GroupCure:
    """Prove `candidate` on the copy as it is; kept there when proven and `keep` (an unsafe
    cure not asked for by name is proven, then taken back: shown, never written)."""
    result = cure_line(ws, group, candidate)
    concerned = [phase for phase in phases if phase in group.phases]
    before: dict[str, TestSuiteResult] = {phase: ws.run(phase) for phase in concerned}
    runs_before = ws.latest()
    previous = ws.write(candidate.changes)
    after: dict[str, TestSuiteResult] = {phase: ws.run(phase) for phase in concerned}
    problems = record(ws, result, group, before, after, phases)
    if problems:
        result.reason = "; ".join(problems)
        ws.restore(previous, runs_before)
        return result
    result.status = "proven"
    if keep:
        ws.keep(candidate.changes)
    else:
        result.held = True
        ws.restore(previous, runs_before)
    return result


def prove_all_at_once(
    ws: Workspace,
    entries: Sequence[tuple[int, FailureGroup, Candidate]],
    written: Sequence[dict[str, bytes | None]],
    phases: Sequence[PhaseName],
    first: Mapping[str, TestSuiteResult],
) -> dict[int, GroupCure] | None:
    """The cures of `entries`, already `written` into the copy (in that order), proven by
    one run of each phase; None (the copy as it was) when any is not cured, or anything
    was lost or broken."""
    after: dict[str, TestSuiteResult] = {phase: ws.run(phase) for phase in phases}
    cured = not any(harm(first[phase], after[phase]) for phase in phases)
    results = {}
    for index, group, candidate in entries:
        result = cure_line(ws, group, candidate)
        cured = not record(ws, result, group, first, after, phases) and cured
        result.status = "proven"
        results[index] = result
    if not cured:
        for previous in reversed(written):
            ws.restore(previous, first)
        return None
    for _, _, candidate in entries:
        ws.keep(candidate.changes)
    return results
