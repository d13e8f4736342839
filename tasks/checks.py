"""Run one phase check as a task; a check that crashes is reported, not hidden."""

from __future__ import annotations

import logging
import time

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from testing_lib.checks import PHASE_CHECKS, PhaseCheck
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.report import CheckResult, CheckStatus

_LEVEL = {
    CheckStatus.PASSED: logging.INFO,
    CheckStatus.WARNING: logging.WARNING,
    CheckStatus.FAILED: logging.ERROR,
}


def phase_checks(phase: PhaseName) -> tuple[PhaseCheck, ...]:
    return PHASE_CHECKS[phase]


@task(task_run_name="check-{check_name}", cache_policy=NO_CACHE)
def run_check(check_name: str, phase: PhaseName, target: TargetConfig) -> CheckResult:
    (check,) = [c for c in phase_checks(phase) if c.name == check_name]
    started = time.monotonic()
    result = check.run(target).model_copy(update={"duration_s": time.monotonic() - started})
    get_run_logger().log(
        _LEVEL[result.status], "%s: %s: %s", check.name, result.status.value, result.details
    )
    return result


def crashed_check(check_name: str, message: str | None) -> CheckResult:
    """The result recorded for a check whose task run failed with an exception."""
    return CheckResult(
        name=check_name,
        status=CheckStatus.FAILED,
        details=f"the check itself crashed: {message or 'no message'}",
    )
