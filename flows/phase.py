"""One phase as its own flow run: the pytest gate and the checks, then the decision.

The gate runs the phase's selection once, carrying the observers of the checks that judge
it; the checks that run something of their own run alongside it (see `check_schedule`).

A phase that does not pass ends its flow run `Failed`, carrying its `PhaseReport`, so the
UI shows it red and offers a retry, and the parent flow still reads the report.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow
from prefect.client.schemas.objects import State

from flows.approval import DEFAULT_APPROVAL_TIMEOUT_S, CuresMode, offer_cures
from flows.check_schedule import CheckSchedule, schedule_checks
from flows.naming import phase_run_name
from flows.outcomes import PhaseNotPassed
from flows.run_config import load_for_run, run_config, run_facts
from tasks.artifacts import publish_phase_artifacts
from tasks.checks import crashed_check, judge_from_gate, phase_checks, run_check
from tasks.gate import SHARD_PLUGIN, run_gate, run_gate_shard
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.fingerprint import content_digest, run_conditions
from testing_lib.gate_decision import decide_empty_gate, decide_gate
from testing_lib.locking import target_lock
from testing_lib.report import CheckResult, CheckStatus, PhaseReport, PhaseStatus, RemediationReport
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
from testing_lib.triage import has_failures, triage


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
    schedule: CheckSchedule,
) -> tuple[TestSuiteResult | None, str | None]:
    """Run the gate as `shards` concurrent task runs; the merged suite, or why it crashed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    durations_file = out_dir / "durations.json"
    durations_file.write_text(
        json.dumps(_earlier_durations(config.root, run_id, phase)), encoding="utf-8"
    )
    futures = [
        run_gate_shard.submit(
            config,
            phase,
            out_dir / f"shard-{i}",
            i,
            shards,
            durations_file,
            selection,
            schedule.observers,
            schedule.gate_env,
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


def _gate_judged(
    config: TargetConfig,
    phase: PhaseName,
    schedule: CheckSchedule,
    suite: TestSuiteResult | None,
    out_dir: Path,
    nothing: str | None,
    crash: str | None,
) -> list[CheckResult]:
    """The checks judged from the gate's run (or told why there is none)."""
    if nothing is not None:
        status, why = CheckStatus.WARNING, f"not checked: phase {phase} selects nothing: {nothing}"
    else:
        status, why = CheckStatus.NOT_JUDGED, f"not judged: {crash or 'the gate did not run'}"
    results = []
    for check in schedule.from_gate:
        state = judge_from_gate(
            check.name,
            phase,
            config,
            suite if nothing is None else None,
            out_dir,
            why,
            status,
            return_state=True,
        )
        results.append(_resolved(check.name, state))
    return results


@flow(name="run-phase", flow_run_name=phase_run_name, validate_parameters=True)
def run_phase(
    target: str,
    phase: PhaseName,
    python: str | None = None,
    run_id: str | None = None,
    shards: int | None = None,
    deep: bool = False,
    cures: CuresMode = "off",
    approval_timeout_s: int = DEFAULT_APPROVAL_TIMEOUT_S,
) -> PhaseReport:
    """Run one remediation phase on `target` and gate on its pytest results.

    `shards` (default: the phase's `shards` setting) splits the gate into that many
    concurrent pytest runs balanced by the tests' last known durations. `deep` adds the
    deep checks' extra runs (more orders, CI profile runs) after the gate. `cures`
    (`propose`, `ask`) as for `full-remediation`: when the gate fails, prove its cures,
    publish them, and with `ask` wait for a person's approval, apply, and gate again."""
    config = load_for_run(target, python=python)
    with run_config(config), target_lock(config.root):
        try:
            return _phase(config, phase, run_id, shards, deep)
        except PhaseNotPassed as failed:
            if cures == "off" or failed.report.suite is None:
                raise
            offer = offer_cures(config, phase, cures, approval_timeout_s, gate=failed.report)
            if not offer.applied:
                raise PhaseNotPassed(_noted(failed.report, offer.note)) from None
        try:  # the gate again, on the cured target
            return _noted(_phase(config, phase, run_id, shards, deep), offer.note)
        except PhaseNotPassed as again:
            raise PhaseNotPassed(_noted(again.report, offer.note)) from None


def _noted(report: PhaseReport, note: str) -> PhaseReport:
    if not note:
        return report
    return report.model_copy(update={"reason": f"{report.reason}; {note}"})


def _resolved(name: str, state: State[CheckResult]) -> CheckResult:
    if state.is_completed():
        return state.result()
    return crashed_check(name, state.message)


def _phase(
    config: TargetConfig, phase: PhaseName, run_id: str | None, shards: int | None, deep: bool
) -> PhaseReport:
    """The phase within its `timeout_s`: every run it starts, checks included, ends by then."""
    limit = config.phase(phase).timeout_s
    label = f"{phase}'s time limit (timeout_s = {limit:g} s)"
    with run_limits(seconds=limit, test_timeout_s=config.phase(phase).test_timeout_s, label=label):
        return _limited_phase(config, phase, run_id, shards, deep)


def _gate_conditions(
    config: TargetConfig, phase: PhaseName, schedule: CheckSchedule, shards: int
) -> str:
    """The gate's `run_conditions`: what its checks' observers and environment add, and
    the split of a sharded gate."""
    plugins = [observer.plugin or observer.record_env for observer in schedule.observers]
    if shards > 1:
        plugins.append(SHARD_PLUGIN)
    return run_conditions(config, phase, plugins=plugins, env=schedule.gate_env)


def _limited_phase(
    config: TargetConfig,
    phase: PhaseName,
    run_id: str | None,
    shards: int | None,
    deep: bool,
) -> PhaseReport:
    standalone = run_id is None
    run_id = run_id or new_run_id()
    started = datetime.now(UTC)
    digest = content_digest(config.root)  # what the gate runs on (before it writes anything)
    schedule = schedule_checks(phase_checks(phase), deep=deep)
    alongside = [  # every future is resolved below: unresolved ones get cancelled
        (check.name, run_check.submit(check.name, phase, config)) for check in schedule.alongside
    ]

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
    try:
        if nothing is not None:  # selected by classification, and no test is of its kind
            suite = TestSuiteResult(suite_name=phase, selection=[])
        elif shard_count > 1:
            suite, crash = _sharded_gate(
                config, phase, out_dir, run_id, shard_count, selection, schedule
            )
        else:
            gate_state = run_gate(
                config,
                phase,
                out_dir,
                selection,
                schedule.observers,
                schedule.gate_env,
                return_state=True,
            )
            if gate_state.is_completed():
                suite = gate_state.result()
            else:
                crash = f"the pytest gate crashed: {gate_state.message}"
        for _, future in alongside:
            future.wait()
    except BaseException:
        request_shutdown()  # interrupted: stop the checks' runs before their threads join
        raise
    checks = [_resolved(name, future.state) for name, future in alongside]
    checks += _gate_judged(config, phase, schedule, suite, out_dir, nothing, crash)
    for check in schedule.after:
        state = run_check(check.name, phase, config, run_id, return_state=True)
        checks.append(_resolved(check.name, state))
    checks = schedule.in_order(checks)
    if nothing is not None:
        status, reason = decide_empty_gate(checks, nothing)
    elif suite is not None:
        status, reason = decide_gate(phase, suite, config.phase(phase), checks)
    else:
        status, reason = PhaseStatus.ERRORED, crash or "the pytest gate produced no result"

    facts = run_facts(config) if suite is not None and has_failures(suite) else None
    report = PhaseReport(
        name=phase,
        status=status,
        reason=reason,
        suite=suite,
        triage=triage(suite, facts=facts).groups if suite is not None else [],
        checks=checks,
        started_at=started,
        finished_at=datetime.now(UTC),
        warnings=warnings,
        deep_checks_not_run=[check.name for check in schedule.left_out],
        content_digest=digest,
        run_conditions=_gate_conditions(config, phase, schedule, shard_count),
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
