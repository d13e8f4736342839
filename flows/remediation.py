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

from flows.approval import DEFAULT_APPROVAL_TIMEOUT_S, CuresMode, offer_cures
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
    cures: CuresMode = "off",
    approval_timeout_s: int = DEFAULT_APPROVAL_TIMEOUT_S,
) -> RemediationReport:
    """Run the selected phases (default: all four) in order; a phase that does not pass
    stops the ones after it, which are reported `not_run`. `deep` adds the deep checks
    (isolation in several orders, CI profile runs) to the phases that have them.

    `cures`: after a phase fails, `propose` proves a cure per failure group on a scratch
    copy and publishes the proven ones (an artifact, a saved proposal); `ask` then waits
    up to `approval_timeout_s` for a person to approve them (the run shows Paused; Resume
    shows the form), writes the approved ones and runs the phase's gate again."""
    config = load_for_run(target, python=python)
    with run_config(config), target_lock(config.root):
        steps = _Steps(config, python, run_id or new_run_id(), reuse_passed, deep)
        return _remediate(steps, phases, cures, approval_timeout_s)


class _Steps:
    """Runs one phase of this run as its cached `phase` task, on the target as it is now."""

    def __init__(
        self,
        config: TargetConfig,
        python: str | None,
        run_id: str,
        reuse_passed: bool,
        deep: bool,
    ) -> None:
        self.config, self.python, self.run_id, self.deep = config, python, run_id, deep
        self.step = gated_phase if reuse_passed else gated_phase.with_options(refresh_cache=True)
        self.files = list_files(config.root)  # listed again once cures were written

    def cured(self) -> None:
        self.files = list_files(self.config.root)

    def run(self, name: PhaseName) -> PhaseReport:
        config = self.config
        state = self.step(
            target=str(config.root),
            phase=name,
            python=config.python if self.python else None,
            run_id=self.run_id,
            fingerprint=phase_fingerprint(config, name, self.files),
            deep=self.deep,
            return_state=True,
        )
        outcome = phase_report_of(state.result(raise_on_failure=False))
        if outcome is None:
            return PhaseReport(
                name=name, status=PhaseStatus.ERRORED, reason=f"the phase crashed: {state.message}"
            )
        if state.name == "Cached":
            return outcome.model_copy(
                update={
                    "reused": True,
                    "reason": f"reused (unchanged since it passed): {outcome.reason}",
                }
            )
        return outcome


def _remediate(
    steps: _Steps,
    phases: list[PhaseName] | None,
    cures: CuresMode,
    approval_timeout_s: int,
) -> RemediationReport:
    config = steps.config
    report = RemediationReport(
        target=str(config.root), run_id=steps.run_id, started_at=datetime.now(UTC)
    )
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
        outcome = steps.run(name)
        if outcome.status is not PhaseStatus.PASSED and outcome.suite is not None:
            offer = offer_cures(config, name, cures, approval_timeout_s, gate=outcome)
            if offer.applied:
                steps.cured()
                outcome = steps.run(name)  # the gate again, on the cured target
            if offer.note:
                outcome = outcome.model_copy(update={"reason": f"{outcome.reason}; {offer.note}"})
        report.phases.append(outcome)
        if outcome.status is not PhaseStatus.PASSED:
            blocker = outcome

    report.finished_at = datetime.now(UTC)
    save_report(config.root, report)
    publish_run_artifact(report, config.name)
    if blocker is not None:
        raise RemediationNotPassed(report, blocker)
    return report
