"""final_validation check "performance thresholds": this gate's measured run against the config.

Reads one run of TARGET/.remediation/metrics.sqlite and reports each test over
`[tool.remediation.testing.performance]` thresholds, plus tests that got 3× slower than the
previous run of the same kind. Every engine gate writes a run (`<engine run>-<phase>`, all
shards of a phase in one run) through the injected monitor, whatever the target's
interpreter has installed; a plain `pytest --remediation-perf` in a target that has this
project writes one too.

Given the run id of this gate (`check_performance(target, run_id)`), the check judges that
run only: when it is not stored (storing the gate's metrics failed, or the gate measured no
test) it says there is no performance data for this run, and never judges an older run in
its place. Without a run id it judges the newest stored run.

Crossing a threshold is a warning; so is having no data to judge, because a gate's verdict
stands without its metrics.
"""

from __future__ import annotations

import sqlite3

from testing_lib.checks.base import PhaseCheck
from testing_lib.config.target import TargetConfig
from testing_lib.performance import MetricsStore, RunInfo, default_db
from testing_lib.performance.metrics import analyze, thresholds_of
from testing_lib.report import CheckResult, CheckStatus

NAME = "performance thresholds"
NO_DATA = "no performance data recorded for this run"


def _no_data(run_id: str, why: str) -> CheckResult:
    return CheckResult(
        name=NAME,
        status=CheckStatus.NOT_JUDGED,
        details=f"{NO_DATA} ({why})",
        data={"run_id": run_id, "tests": 0},
    )


def check_performance(target: TargetConfig, run_id: str | None = None) -> CheckResult:
    """Judge stored run `run_id` (the phase gate's `<engine run>-<phase>`); without one, the
    newest stored run."""
    store = MetricsStore(default_db(target.root))
    try:
        if run_id is None:
            runs = store.runs()
            judged: RunInfo | None = runs[-1] if runs else None
        else:
            judged = store.run(run_id)
    except (sqlite3.Error, OSError) as exc:
        if run_id is None:
            return CheckResult(
                name=NAME,
                status=CheckStatus.WARNING,
                details=f"could not read the measured runs in {store.path}: {exc}",
            )
        return _no_data(run_id, f"could not read run {run_id} from {store.path}: {exc}")
    if judged is None and run_id is not None:
        return _no_data(
            run_id,
            f"run {run_id} is not in {store.path}: the gate measured no test, or storing "
            "its metrics failed (see the gate's log)",
        )
    if judged is None:
        return CheckResult(
            name=NAME,
            status=CheckStatus.NOT_JUDGED,
            details=f"no measured run in {store.path}: every engine gate records one "
            "(run a phase with `remediate run`), or, where the target's interpreter has this "
            "project, run `pytest --remediation-perf` (or ini remediation_perf = true)",
        )
    if judged.tests == 0:
        return _no_data(judged.run_id, f"run {judged.run_id} in {store.path} holds no test")
    analysis = analyze(store.metrics(judged.run_id), thresholds_of(target.testing.performance))
    trends = store.trends(run_id=judged.run_id)
    data: dict[str, object] = {
        "run_id": judged.run_id,
        "tests": analysis.total_tests,
        "findings": [f.model_dump() for f in analysis.findings],
        "trends": [t.model_dump() for t in trends],
        "recommendations": analysis.recommendations,
    }
    problems = [f.message for f in analysis.findings] + [t.message for t in trends]
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; … {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        return CheckResult(
            name=NAME,
            status=CheckStatus.WARNING,
            details=f"run {judged.run_id}: {len(analysis.findings)} threshold finding(s), "
            f"{len(trends)} slowdown(s): {shown}",
            data=data,
        )
    return CheckResult(
        name=NAME,
        status=CheckStatus.PASSED,
        details=f"run {judged.run_id}: {analysis.total_tests} tests within the thresholds, "
        "no test 3× slower than the run before",
        data=data,
    )


PERFORMANCE_CHECK = PhaseCheck(
    name=NAME,
    description="tests stay within the configured time, memory, SQL and HTTP thresholds",
    run=check_performance,
    after_gate=True,  # judges the metrics of this phase's own gate run
)
