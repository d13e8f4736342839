"""The cure of tests that pass alone and fail after another test: the order-dependence fix.

The target's latest isolation report names, for each such test, the test it fails after
(confirmed by replays in fresh pytest processes). When both run in a phase and the test
fails there, its group is that order (`groups.order_dependent_group`), and its cure is the
fix the isolation validator proves for the pair: a fixture in the polluter's module
restoring what it leaves (the state the report names), the polluter on an isolated
database, or the reset of a test that cleans it up, moved into the victim's module.

It is found and proven on the cures' own scratch copy, holding the cures kept before it:
the replay (`pytest POLLUTER VICTIM`), the victim alone and the polluter's module, each a
fresh pytest process; those runs are part of the cure's proof, which the phases' runs
then judge like any cure's (the group's tests pass, nothing lost, nothing broken).
"""

from __future__ import annotations

from testing_lib.cures.context import CureContext, Proposal
from testing_lib.cures.cure_models import Candidate, Change, FailureGroup, NoCure
from testing_lib.cures.groups import ORDER_DEPENDENT
from testing_lib.isolation.fix_plan import propose_fixes
from testing_lib.isolation.fix_proof import ProofSetup
from testing_lib.isolation.order_models import IsolationReport, PolluterPair

KIND = "order-dependence"
SHOWN = 3


def propose(group: FailureGroup, context: CureContext) -> Proposal:
    report = context.isolation
    if group.kind != ORDER_DEPENDENT or report is None:
        return None
    pairs = [
        pair
        for pair in report.pairs
        if pair.confirmed and pair.kind == "victim" and pair.victim in group.members
    ]
    ws = context.workspace
    earlier = context.found.get((group.kind, group.key))
    if isinstance(earlier, Candidate) and all(
        ws.read(change.relative) == change.before for change in earlier.changes
    ):
        return earlier  # found on these very files: its runs stand
    proposal = _find(group, context, report, pairs)
    context.found[(group.kind, group.key)] = proposal
    return proposal


def _find(
    group: FailureGroup, context: CureContext, report: IsolationReport, pairs: list[PolluterPair]
) -> Proposal:
    ws = context.workspace
    setup = ProofSetup.of_target(ws.target, report)
    scoped = report.model_copy(
        update={"root": str(ws.origin), "pairs": pairs, "import_side_effects": []}
    )
    fixes, plan = propose_fixes(scoped, setup, failing_orders={}, copy=ws.copy)
    if not plan.files:
        reasons = [f"{fix.victim}: {fix.reason}" for fix in fixes.fixes if fix.reason]
        return NoCure("; ".join(reasons[:SHOWN]) or group.remediation)
    restores = list(dict.fromkeys(item for fix in fixes.proven for item in fix.restores))
    files = ", ".join(change.relative for change in plan.files)
    whose = "its tests" if files == group.key else f"the tests of {group.key}"
    summary = (
        f"{files}: undo what {whose} leave ({'; '.join(restores[:SHOWN])})"
        if restores
        else f"{files}: the order-dependence fix proven for {len(fixes.proven)} pair(s)"
    )
    return Candidate(
        kind=KIND,
        summary=summary,
        safe=True,
        changes=tuple(
            Change(change.relative, ws.read(change.relative) or b"", change.after)
            for change in plan.files
        ),
        proof=tuple(run for fix in fixes.proven for run in fix.proof),
    )
