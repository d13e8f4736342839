"""The cures of a failed phase, as tasks: prove them on a scratch copy and save them as a
proposal (published as a markdown artifact), and apply an approved proposal (journaled)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from tasks.artifacts import artifact_key
from testing_lib.codemods import ApplyReport
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.cures.proposal_markdown import proposal_markdown
from testing_lib.cures.proposals import Proposal, apply_proposal, save_proposal
from testing_lib.cures.session import propose_cures
from testing_lib.report import PhaseReport
from testing_lib.triage import TargetFacts


@task(name="propose-cures", task_run_name="propose-cures-{phase}", cache_policy=NO_CACHE)
def propose_phase_cures(
    config: TargetConfig,
    phase: PhaseName,
    facts: TargetFacts | None = None,
    gate: PhaseReport | None = None,
) -> Proposal | None:
    """Prove a cure per failure group of `phase` on a scratch copy; save and publish the
    proven ones as a proposal (None when no cure was proven). `gate`: the report of the
    phase's gate that just ran, whose run stands for the phase's first run on the copy
    when the target is unchanged since and the run is comparable (else the phase runs on
    the copy first)."""
    logger = get_run_logger()
    latest = {phase: gate} if gate is not None else None
    plan = propose_cures(config, [phase], facts=facts, progress=logger.info, latest=latest)
    if not plan.by_group:
        refused = [g for g in plan.report.groups if g.status == "refused"]
        logger.info(
            "no proven cure for %s (%d failure group(s), %d cure(s) refused by their proof)",
            phase,
            len(plan.report.groups),
            len(refused),
        )
        return None
    proposal = save_proposal(plan)
    create_markdown_artifact(
        key=artifact_key(config.name, phase, "cures"),
        markdown=proposal_markdown(proposal, config.name),
        description=f"{phase}: {len(proposal.cures)} proven cure(s), proposal {proposal.id}",
    )
    logger.info("%d proven cure(s) saved as proposal %s", len(proposal.cures), proposal.id)
    return proposal


@task(name="apply-cures", cache_policy=NO_CACHE)
def apply_approved_cures(root: Path, proposal_id: str, numbers: Collection[int]) -> ApplyReport:
    """Write the approved cures through the codemod journal (`remediate fix undo` restores);
    raises `ProposalError` when the target changed since they were proven."""
    _, report = apply_proposal(root, proposal_id, sorted(numbers))
    logger = get_run_logger()
    for relative in report.applied:
        logger.info("wrote %s", relative)
    logger.info("undo with: remediate fix undo %s %s", root, report.run_id)
    return report
