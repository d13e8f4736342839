"""The full remediation: the four phases in order, each gating the next.

Each phase runs as its own `run-phase` flow run, called from a cached `phase` task whose key
is the phase's fingerprint (target content, phase and test configuration, interpreter,
engine version). A phase that passed is cached; one that failed is not. So retrying a
failed run (the UI's Retry) re-executes only the phases that did not pass, while a changed
target or configuration re-runs everything. `reuse_passed=False` (the CLI's default)
always runs fresh and refreshes the cache.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow, task
from prefect.context import TaskRunContext

from flows.defaults import EXAMPLE_TARGET
from flows.naming import remediation_run_name
from flows.outcomes import PhaseNotPassed, RemediationNotPassed, phase_report_of
from flows.phase import run_phase
from flows.run_config import load_for_run, run_config
from tasks.artifacts import publish_run_artifact
from testing_lib.config.phases import PHASE_ORDER, PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.fingerprint import list_files, phase_fingerprint
from testing_lib.locking import target_lock
from testing_lib.report import PhaseReport, PhaseStatus, RemediationReport
from testing_lib.storage import new_run_id, save_report

PHASE_CACHE_TTL = timedelta(days=14)


def ordered_phases(phases: list[PhaseName] | None) -> list[PhaseName]:
    """The selected phases in their canonical order (all four when none are named)."""
    if not phases:
        return list(PHASE_ORDER)
    return [p for p in PHASE_ORDER if p in set(phases)]


def _phase_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    depth = "-deep" if parameters.get("deep") else ""
    return f"phase-{parameters['phase']}-{parameters['fingerprint']}{depth}"


@task(
    name="phase",
    task_run_name="phase-{phase}",
    cache_key_fn=_phase_cache_key,
    cache_expiration=PHASE_CACHE_TTL,
    persist_result=True,
)
def gated_phase(
    target: str,
    phase: PhaseName,
    python: str | None,
    run_id: str,
    fingerprint: str,
    deep: bool = False,
) -> PhaseReport:
    """Run the phase's flow; complete (and so cache) only when its gate passed."""
    state = run_phase(
        target=target, phase=phase, python=python, run_id=run_id, deep=deep, return_state=True
    )
    report = phase_report_of(state.result(raise_on_failure=False))
    if report is None:
        report = PhaseReport(
            name=phase, status=PhaseStatus.ERRORED, reason=f"the phase run crashed: {state.message}"
        )
    if report.status is not PhaseStatus.PASSED:
        raise PhaseNotPassed(report)  # a failed task is never cached
    return report


@flow(name="full-remediation", flow_run_name=remediation_run_name, validate_parameters=True)
def full_remediation(
    target: str = str(EXAMPLE_TARGET),
    phases: list[PhaseName] | None = None,
    python: str | None = None,
    run_id: str | None = None,
    reuse_passed: bool = True,
    deep: bool = False,
) -> RemediationReport:
    """Run the selected phases (default: all four) in order; a phase that does not pass
    stops the ones after it, which are reported `not_run`. `deep` adds the deep checks
    (isolation in several orders, CI profile runs) to the phases that have them."""
    config = load_for_run(target, python=python)
    with run_config(config), target_lock(config.root):
        return _remediate(config, phases, python, run_id, reuse_passed, deep)


def _remediate(
    config: TargetConfig,
    phases: list[PhaseName] | None,
    python: str | None,
    run_id: str | None,
    reuse_passed: bool,
    deep: bool,
) -> RemediationReport:
    run_id = run_id or new_run_id()
    report = RemediationReport(target=str(config.root), run_id=run_id, started_at=datetime.now(UTC))
    files = list_files(config.root)
    step = gated_phase if reuse_passed else gated_phase.with_options(refresh_cache=True)
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
        state = step(
            target=str(config.root),
            phase=name,
            python=config.python if python else None,
            run_id=run_id,
            fingerprint=phase_fingerprint(config, name, files),
            deep=deep,
            return_state=True,
        )
        outcome = phase_report_of(state.result(raise_on_failure=False))
        if outcome is None:
            outcome = PhaseReport(
                name=name, status=PhaseStatus.ERRORED, reason=f"the phase crashed: {state.message}"
            )
        elif state.name == "Cached":
            outcome = outcome.model_copy(
                update={
                    "reused": True,
                    "reason": f"reused (unchanged since it passed): {outcome.reason}",
                }
            )
        report.phases.append(outcome)
        if outcome.status is not PhaseStatus.PASSED:
            blocker = outcome

    report.finished_at = datetime.now(UTC)
    save_report(config.root, report)
    publish_run_artifact(report, config.name)
    if blocker is not None:
        raise RemediationNotPassed(report, blocker)
    return report
