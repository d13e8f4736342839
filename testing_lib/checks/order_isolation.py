"""final_validation check "isolation validation": no test's outcome depends on test order.

A deep check (`remediate run --deep`; the nightly flow runs the deeper validation): a
bounded run of the isolation validator (default two orders: original and reversed, no
cleaner search) over the phase's selection with the target's interpreter and test
environment. Fails on order-dependent tests, naming each with its polluter and replay
command. Daytime runs leave it out: it runs the selection twice more.
"""

from __future__ import annotations

import os

from testing_lib.checks.base import PhaseCheck
from testing_lib.config.target import TargetConfig
from testing_lib.environment import test_environment_values
from testing_lib.isolation import IsolationReport, validate_isolation
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.selection import resolve_selection

NAME = "isolation validation"
ORDERS_ENV = "REMEDIATION_ISOLATION_ORDERS"  # raise the bound without a code change
DEFAULT_ORDERS = 2
TIMEOUT_S = 600.0


def _orders() -> int:
    raw = os.environ.get(ORDERS_ENV, "")
    try:
        return max(1, int(raw)) if raw else DEFAULT_ORDERS
    except ValueError:
        return DEFAULT_ORDERS


def _data(report: IsolationReport) -> dict[str, object]:
    return {
        "seed": report.seed,
        "orders": report.orders_run,
        "isolation_score": report.isolation_score,
        "order_dependent": [e.model_dump(mode="json") for e in report.order_dependent],
        "pytest_executions": report.pytest_executions,
        "leaks": len(report.leaks),
    }


def judge_isolation(report: IsolationReport) -> CheckResult:
    data = _data(report)
    if report.error:
        return CheckResult(name=NAME, status=CheckStatus.FAILED, details=report.error, data=data)
    if report.order_dependent:
        listed = "; ".join(
            f"{e.test} ({e.kind}"
            + (
                f", after {(e.polluters or e.state_setters)[0]}"
                if e.polluters or e.state_setters
                else ""
            )
            + (f": `{e.replay}`" if e.replay else "")
            + ")"
            for e in report.order_dependent[:5]
        )
        return CheckResult(
            name=NAME,
            status=CheckStatus.FAILED,
            details=f"{len(report.order_dependent)} test(s) depend on test order "
            f"(score {report.isolation_score:.1f}, seed {report.seed}): {listed}",
            data=data,
        )
    if not report.results:
        return CheckResult(
            name=NAME,
            status=CheckStatus.NOT_JUDGED,
            details="not judged: no test ran in any order"
            + (
                f" ({len(report.collection_errors)} module(s) did not collect)"
                if report.collection_errors
                else ""
            ),
            data=data,
        )
    if report.collection_errors:
        return CheckResult(
            name=NAME,
            status=CheckStatus.WARNING,
            details=f"{len(report.collection_errors)} module(s) did not collect; the rest ran "
            f"in {len(report.orders_run)} orders without order dependence",
            data=data,
        )
    return CheckResult(
        name=NAME,
        status=CheckStatus.PASSED,
        details=f"{report.tests_collected} tests in {len(report.orders_run)} orders "
        f"({', '.join(report.orders_run)}; seed {report.seed}): no outcome depended on order",
        data=data,
    )


def check_isolation(target: TargetConfig, *, orders: int | None = None) -> CheckResult:
    selection = resolve_selection(target, "final_validation")
    if not selection.runnable:
        return CheckResult(
            name=NAME,
            status=CheckStatus.FAILED,
            details=f"none of final_validation's paths exist in {target.root}: "
            f"{', '.join(selection.configured)}",
        )
    phase = target.phase("final_validation")
    report = validate_isolation(
        root=target.root,
        python=target.python,
        selection=list(selection.existing),
        orders=orders or _orders(),
        timeout_s=min(TIMEOUT_S, phase.timeout_s),
        env=test_environment_values(target.testing),
        extra_args=[*(["-m", phase.markers] if phase.markers else []), *phase.pytest_args],
        find_cleaners=False,
    )
    return judge_isolation(report)


ISOLATION_CHECK = PhaseCheck(
    name=NAME,
    description="no test's outcome depends on the order tests run in",
    run=check_isolation,
    deep=True,
)
