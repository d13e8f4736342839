"""service_integration check "no real network": the phase's tests never reach the internet.

Judges the phase's run (in a phase run the gate's) with the injected `remediation_network`
plugin, which refuses every outbound connection and DNS look-up except loopback *before* it
is made, and records which test tried, the host and the port; the library's own guard
(`testing_lib.mocks.network`, active when the target uses the plugin) records what it
refuses at the httpx layer to the same file. Any record fails the check, naming the test and
the host:port, except refusals a test declared with
`testing_lib.mocks.network.expect_refusals()` (tests of the guard itself). The tests may
pass or fail: refusals look like a machine without network; the gate judges outcomes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from testing_lib.checks.base import PhaseCheck
from testing_lib.checks.instrumented import observe_service_integration
from testing_lib.checks.observed import (
    NETWORK_OBSERVER,
    InstrumentedRun,
    NotObserved,
    not_run_reason,
)
from testing_lib.config.target import TargetConfig
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.runner.target_plugins import NETWORK_FILE_ENV

NAME = "no real network"
MAX_LISTED = 10


def _result(status: CheckStatus, details: str, **data: Any) -> CheckResult:
    return CheckResult(name=NAME, status=status, details=details, data=dict(data))


def group_attempts(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """node id -> sorted distinct "host:port" it tried to reach."""
    grouped: dict[str, set[str]] = defaultdict(set)
    for record in records:
        host = str(record.get("host") or "?")
        port = record.get("port")
        where = f"[{host}]" if ":" in host else host
        grouped[str(record.get("nodeid") or "<outside any test>")].add(
            f"{where}:{port}" if port is not None else where
        )
    return {nodeid: sorted(hosts) for nodeid, hosts in sorted(grouped.items())}


def list_attempts(attempts: dict[str, list[str]]) -> str:
    """`node id -> host:port, ...; ...` for the first `MAX_LISTED` tests, and how many more."""
    shown = list(attempts.items())[:MAX_LISTED]
    listed = "; ".join(f"{nodeid} -> {', '.join(hosts)}" for nodeid, hosts in shown)
    more = f" (and {len(attempts) - MAX_LISTED} more)" if len(attempts) > MAX_LISTED else ""
    return listed + more


def check_no_real_network(target: TargetConfig) -> CheckResult:
    """The check on its own: runs the phase's selection with the guard, then judges it."""
    return judge_no_real_network(target, observe_service_integration(target))


def judge_no_real_network(target: TargetConfig, run: InstrumentedRun | NotObserved) -> CheckResult:
    """The verdict on a run that carried `NETWORK_OBSERVER`."""
    if isinstance(run, NotObserved):
        return _result(run.status, run.details)
    if run.sessions(NETWORK_FILE_ENV) == 0:
        return _result(
            CheckStatus.FAILED,
            "the network guard did not start in the target's pytest (no session marker): "
            f"{not_run_reason(run) or 'see the run log'}",
            exit_code=run.suite.exit_code,
        )
    events = run.events(NETWORK_FILE_ENV)
    expected = [e for e in events if e.get("expected")]
    attempts = group_attempts([e for e in events if not e.get("expected")])
    data = {
        "tests_run": run.executed,
        "attempts": attempts,
        "refusals": [e for e in events if not e.get("expected")][:50],
        "expected_refusals": group_attempts(expected),
        "exit_code": run.suite.exit_code,
    }
    if attempts:
        return _result(
            CheckStatus.FAILED,
            f"{len(attempts)} test(s) tried to reach the network (refused before connecting): "
            f"{list_attempts(attempts)}; mock these calls (respx, the mock_openfda_service "
            "fixture)",
            **data,
        )
    reason = not_run_reason(run)
    if reason:
        return _result(CheckStatus.NOT_JUDGED, f"not judged: {reason}", **data)
    return _result(
        CheckStatus.PASSED,
        f"{run.executed} tests ran with outbound connections refused except loopback; "
        "none tried to reach the network",
        **data,
    )


NETWORK_CHECK = PhaseCheck(
    name=NAME,
    description="the phase's tests run with the network blocked and none tries to reach it",
    run=check_no_real_network,
    observers=(NETWORK_OBSERVER,),
    judge=judge_no_real_network,
)
