"""One phase as its own flow run: checks, then the pytest gate, then the decision.

A phase that does not pass ends its flow run `Failed`, carrying its `PhaseReport`, so the
UI shows it red and offers a retry, and the parent flow still reads the report.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow

from flows.naming import phase_run_name
from flows.outcomes import PhaseNotPassed
from flows.run_config import load_for_run, run_config
from tasks.artifacts import publish_phase_artifacts
from tasks.checks import crashed_check, phase_checks, run_check
from tasks.gate import run_gate, run_gate_shard
from testing_lib.checks.instrumented import shared_runs
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.gate_decision import decide_empty_gate, decide_gate
from testing_lib.locking import target_lock
from testing_lib.report import CheckResult, PhaseReport, PhaseStatus, RemediationReport
from testing_lib.results import TestSuiteResult
from testing_lib.runner.limits import run_limits
from testing_lib.runner.process import request_shutdown
from testing_lib.selection import Selection, resolve_selection
from testing_lib.sharding import durations_from_results, merge_suites
from testing_lib.storage import (
    new_run_id,
    phase_dir,
    run_dir,
    runs_root,
    save_phase_report,
    save_report,
)
from testing_lib.triage import triage

# The share of a phase's time limit the checks before its gate may use; the gate, whose
# verdict decides the phase, always gets the rest.
CHECKS_SHARE = 0.5


def _earlier_durations(root: Path, run_id: str, phase: PhaseName) -> dict[str, float]:
    """Last known duration of each test of this phase, from earlier runs' result files."""
    current = run_dir(root, run_id)
    files = [
        f for f in runs_root(root).glob(f"*/{phase}/**/results.jsonl") if current not in f.parents
    ]
    return durations_from_results(sorted(files, key=lambda f: f.stat().st_mtime))


def _sharded_gate(
    config: TargetConfig,
    phase: PhaseName,
    out_dir: Path,
    run_id: str,
    shards: int,
    selection: Selection,
) -> tuple[TestSuiteResult | None, str | None]:
    """Run the gate as `shards` concurrent task runs; the merged suite, or why it crashed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    durations_file = out_dir / "durations.json"
    durations_file.write_text(
        json.dumps(_earlier_durations(config.root, run_id, phase)), encoding="utf-8"
    )
    futures = [
        run_gate_shard.submit(
            config, phase, out_dir / f"shard-{i}", i, shards, durations_file, selection
        )
        for i in range(shards)
    ]
    try:
        for future in futures:  # resolve every future: unresolved ones get cancelled
            future.wait()
    except BaseException:
        request_shutdown()  # interrupted: stop every shard's pytest before threads join
        raise
    states = [future.state for future in futures]
    crashed = [s for s in states if not s.is_completed()]
    if crashed:
        return None, f"{len(crashed)} of {shards} gate shards crashed: {crashed[0].message}"
    parts: list[TestSuiteResult] = [s.result() for s in states]
    order = sorted(r.test_name for part in parts for r in part.results)
    return merge_suites(phase, parts, order), None


@flow(name="run-phase", flow_run_name=phase_run_name, validate_parameters=True)
def run_phase(
    target: str,
    phase: PhaseName,
    python: str | None = None,
    run_id: str | None = None,
    shards: int | None = None,
) -> PhaseReport:
    """Run one remediation phase on `target` and gate on its pytest results.

    `shards` (default: the phase's `shards` setting) splits the gate into that many
    concurrent pytest runs balanced by the tests' last known durations."""
    config = load_for_run(target, python=python)
    with run_config(config), target_lock(config.root):
        return _phase(config, phase, run_id, shards)


def _run_checks(
    config: TargetConfig, phase: PhaseName, *, after_gate: bool, run_id: str | None = None
) -> list[CheckResult]:
    """The phase's checks that run before the gate, or those that run after it."""
    checks: list[CheckResult] = []
    for check in phase_checks(phase):
        if check.after_gate is not after_gate:
            continue
        state = run_check(check.name, phase, config, run_id, return_state=True)
        if state.is_completed():
            checks.append(state.result())
        else:
            checks.append(crashed_check(check.name, state.message))
    return checks


def _phase(
    config: TargetConfig, phase: PhaseName, run_id: str | None, shards: int | None
) -> PhaseReport:
    """The phase within its `timeout_s`: every run it starts, checks included, ends by then.

    The checks before the gate may use `CHECKS_SHARE` of it; the gate gets the rest."""
    limit = config.phase(phase).timeout_s
    label = f"{phase}'s time limit (timeout_s = {limit:g} s)"
    with run_limits(seconds=limit, test_timeout_s=config.phase(phase).test_timeout_s, label=label):
        return _limited_phase(config, phase, run_id, shards, limit * CHECKS_SHARE)


def _limited_phase(
    config: TargetConfig,
    phase: PhaseName,
    run_id: str | None,
    shards: int | None,
    checks_budget_s: float,
) -> PhaseReport:
    standalone = run_id is None
    run_id = run_id or new_run_id()
    started = datetime.now(UTC)

    with (
        shared_runs(),  # checks that observe the same instrumented run share it
        run_limits(seconds=checks_budget_s),
    ):
        checks = _run_checks(config, phase, after_gate=False)

    out_dir = phase_dir(config.root, run_id, phase)
    shard_count = shards or config.phase(phase).shards
    suite: TestSuiteResult | None = None
    crash: str | None = None
    selection = resolve_selection(config, phase)
    nothing = selection.empty_reason
    warnings = [
        f"cannot read {folder} in {config.root}: the tests in it are not gated"
        for folder in selection.unreadable
    ]
    if nothing is not None:  # selected by classification, and no test is of its kind
        suite = TestSuiteResult(suite_name=phase, selection=[])
    elif shard_count > 1:
        suite, crash = _sharded_gate(config, phase, out_dir, run_id, shard_count, selection)
    else:
        gate_state = run_gate(config, phase, out_dir, selection, return_state=True)
        if gate_state.is_completed():
            suite = gate_state.result()
        else:
            crash = f"the pytest gate crashed: {gate_state.message}"
    checks += _run_checks(config, phase, after_gate=True, run_id=run_id)
    if nothing is not None:
        status, reason = decide_empty_gate(checks, nothing)
    elif suite is not None:
        status, reason = decide_gate(phase, suite, config.phase(phase), checks)
    else:
        status, reason = PhaseStatus.ERRORED, crash or "the pytest gate produced no result"

    report = PhaseReport(
        name=phase,
        status=status,
        reason=reason,
        suite=suite,
        triage=triage(suite).groups if suite is not None else [],
        checks=checks,
        started_at=started,
        finished_at=datetime.now(UTC),
        warnings=warnings,
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
    if status is not PhaseStatus.PASSED:
        raise PhaseNotPassed(report)
    return report
