"""One phase as its own flow run: checks, then the pytest gate, then the decision.

A phase that does not pass ends its flow run `Failed`, carrying its `PhaseReport`, so the
UI shows it red and offers a retry, and the parent flow still reads the report.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.states import Failed

from flows.naming import phase_run_name
from tasks.artifacts import publish_phase_artifacts
from tasks.checks import crashed_check, phase_checks, run_check
from tasks.gate import run_gate
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import load_target_config
from testing_lib.gate import decide_gate
from testing_lib.report import CheckResult, PhaseReport, PhaseStatus, RemediationReport
from testing_lib.results import TestSuiteResult
from testing_lib.storage import new_run_id, phase_dir, save_phase_report, save_report


@flow(name="run-phase", flow_run_name=phase_run_name, validate_parameters=True)
def run_phase(
    target: str,
    phase: PhaseName,
    python: str | None = None,
    run_id: str | None = None,
) -> PhaseReport | State:
    """Run one remediation phase on `target` and gate on its pytest results."""
    standalone = run_id is None
    run_id = run_id or new_run_id()
    config = load_target_config(target, python=python)
    started = datetime.now(UTC)

    checks: list[CheckResult] = []
    for check in phase_checks(phase):
        state = run_check(check.name, phase, config, return_state=True)
        if state.is_completed():
            checks.append(state.result())
        else:
            checks.append(crashed_check(check.name, state.message))

    gate_state = run_gate(config, phase, phase_dir(config.root, run_id, phase), return_state=True)
    suite: TestSuiteResult | None = None
    if gate_state.is_completed():
        suite = gate_state.result()
        status, reason = decide_gate(phase, suite, config.phase(phase), checks)
    else:
        status, reason = PhaseStatus.ERRORED, f"the pytest gate crashed: {gate_state.message}"

    report = PhaseReport(
        name=phase,
        status=status,
        reason=reason,
        suite=suite,
        checks=checks,
        started_at=started,
        finished_at=datetime.now(UTC),
    )
    save_phase_report(config.root, run_id, report)
    publish_phase_artifacts(report, config.name)
    if standalone:
        save_report(
            config.root,
            RemediationReport(
                target=str(config.root),
                run_id=run_id,
                started_at=started,
                finished_at=report.finished_at,
                phases=[report],
            ),
        )
    if status is PhaseStatus.PASSED:
        return report
    return Failed(message=f"{phase} {status.value}: {reason}", data=report)
