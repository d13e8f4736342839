"""The full remediation: the four phases in order, each gating the next."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.states import Failed

from flows.defaults import EXAMPLE_TARGET
from flows.naming import remediation_run_name
from flows.phase import run_phase
from tasks.artifacts import publish_run_artifact
from testing_lib.config.phases import PHASE_ORDER, PhaseName
from testing_lib.config.target import load_target_config
from testing_lib.report import PhaseReport, PhaseStatus, RemediationReport
from testing_lib.storage import new_run_id, save_report


def ordered_phases(phases: list[PhaseName] | None) -> list[PhaseName]:
    """The selected phases in their canonical order (all four when none are named)."""
    if not phases:
        return list(PHASE_ORDER)
    return [p for p in PHASE_ORDER if p in set(phases)]


@flow(name="full-remediation", flow_run_name=remediation_run_name, validate_parameters=True)
def full_remediation(
    target: str = str(EXAMPLE_TARGET),
    phases: list[PhaseName] | None = None,
    python: str | None = None,
    run_id: str | None = None,
) -> RemediationReport | State:
    """Run the selected phases (default: all four) in order; a phase that does not pass
    stops the ones after it, which are reported `not_run`."""
    config = load_target_config(target, python=python)
    run_id = run_id or new_run_id()
    report = RemediationReport(target=str(config.root), run_id=run_id, started_at=datetime.now(UTC))
    blocker: PhaseReport | None = None
    for name in ordered_phases(phases):
        if blocker is not None:
            report.phases.append(
                PhaseReport(
                    name=name,
                    status=PhaseStatus.NOT_RUN,
                    reason=f"not run: phase {blocker.name} {blocker.status.value}",
                )
            )
            continue
        state = run_phase(
            target=str(config.root),
            phase=name,
            python=config.python if python else None,
            run_id=run_id,
            return_state=True,
        )
        outcome = state.result(raise_on_failure=False)
        if isinstance(outcome, PhaseReport):
            phase_report = outcome
        else:
            phase_report = PhaseReport(
                name=name,
                status=PhaseStatus.ERRORED,
                reason=f"the phase run crashed: {state.message}",
            )
        report.phases.append(phase_report)
        if phase_report.status is not PhaseStatus.PASSED:
            blocker = phase_report

    report.finished_at = datetime.now(UTC)
    save_report(config.root, report)

    publish_run_artifact(report, config.name)
    if report.passed:
        return report
    assert blocker is not None
    return Failed(
        message=f"stopped at {blocker.name} ({blocker.status.value}): {blocker.reason}",
        data=report,
    )
