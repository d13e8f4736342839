"""Run one phase check as a task; a check that crashes is reported, not hidden.

A check that judges what the phase's gate measured (the performance check) is given the
gate's own run when the engine run id is known, so it never judges another run's data. A
check with a judge reads the records the gate's run wrote for its observers
(`judge_from_gate`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from tasks.gate import perf_run_id
from testing_lib.checks import PHASE_CHECKS, PhaseCheck
from testing_lib.checks.observed import InstrumentedRun, NotObserved, gate_records
from testing_lib.checks.performance import PERFORMANCE_CHECK, check_performance
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.results import TestSuiteResult
from testing_lib.storage import phase_dir

_LEVEL = {
    CheckStatus.PASSED: logging.INFO,
    CheckStatus.WARNING: logging.WARNING,
    CheckStatus.NOT_JUDGED: logging.WARNING,
    CheckStatus.FAILED: logging.ERROR,
}

# Checks that judge the metrics of one gate run, by the check's name: called with the
# gate's metrics run id (`<engine run>-<phase>`).
_GATE_RUN_CHECKS: dict[str, Callable[[TargetConfig, str], CheckResult]] = {
    PERFORMANCE_CHECK.name: check_performance,
}


def phase_checks(phase: PhaseName) -> tuple[PhaseCheck, ...]:
    return PHASE_CHECKS[phase]


def _check(phase: PhaseName, name: str) -> PhaseCheck:
    (check,) = [c for c in phase_checks(phase) if c.name == name]
    return check


def _finish(
    result: CheckResult, started: float, source: Literal["gate", "own", "deep"]
) -> CheckResult:
    result = result.model_copy(update={"duration_s": time.monotonic() - started, "source": source})
    get_run_logger().log(
        _LEVEL[result.status], "%s: %s: %s", result.name, result.status.value, result.details
    )
    return result


@task(task_run_name="check-{check_name}", cache_policy=NO_CACHE)
def run_check(
    check_name: str, phase: PhaseName, target: TargetConfig, run_id: str | None = None
) -> CheckResult:
    """Run `check_name` of `phase`; `run_id` is the engine run whose gate an after-gate
    check judges (without it, such a check judges the newest data it finds)."""
    check = _check(phase, check_name)
    started = time.monotonic()
    result = _judge(check, phase, target, run_id)
    return _finish(result, started, "deep" if check.deep else "own")


@task(task_run_name="check-{check_name}-from-gate", cache_policy=NO_CACHE)
def judge_from_gate(
    check_name: str,
    phase: PhaseName,
    target: TargetConfig,
    suite: TestSuiteResult | None,
    gate_dir: Path,
    no_run_reason: str = "",
    no_run_status: CheckStatus = CheckStatus.NOT_JUDGED,
) -> CheckResult:
    """Judge `check_name` of `phase` from the gate's run in `gate_dir` (`suite`, and what its
    observers recorded there); without a run, the check says why it is not judged."""
    check = _check(phase, check_name)
    assert check.judge is not None
    started = time.monotonic()
    run: InstrumentedRun | NotObserved
    if suite is None:
        run = NotObserved(no_run_status, no_run_reason)
    else:
        run = InstrumentedRun(suite=suite, records=gate_records(check.observers, gate_dir))
    return _finish(check.judge(target, run), started, "gate")


def _judge(
    check: PhaseCheck, phase: PhaseName, target: TargetConfig, run_id: str | None
) -> CheckResult:
    judge = _GATE_RUN_CHECKS.get(check.name)
    if judge is None or run_id is None:
        return check.run(target)
    return judge(target, perf_run_id(target, phase, phase_dir(target.root, run_id, phase)))


def crashed_check(check_name: str, message: str | None) -> CheckResult:
    """The result recorded for a check whose task run failed with an exception."""
    return CheckResult(
        name=check_name,
        status=CheckStatus.FAILED,
        details=f"the check itself crashed: {message or 'no message'}",
    )
