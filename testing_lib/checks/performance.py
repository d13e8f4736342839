"""final_validation check "performance thresholds": the last measured run against the config.

Reads the newest run in TARGET/.remediation/metrics.sqlite and reports each test over
`[tool.remediation.testing.performance]` thresholds, plus tests that got 3× slower than the
run before. Every engine gate writes a run (`<engine run>-<phase>`, all shards of a phase in
one run) through the injected monitor, whatever the target's interpreter has installed; a
plain `pytest --remediation-perf` in a target that has this project writes one too. Crossing
a threshold is a warning, as in the seed; no measured run is a warning that names how to
get one.
"""

from __future__ import annotations

from testing_lib.checks.base import PhaseCheck
from testing_lib.config.target import TargetConfig
from testing_lib.performance import MetricsStore, default_db
from testing_lib.performance.metrics import analyze, thresholds_of
from testing_lib.report import CheckResult, CheckStatus

NAME = "performance thresholds"


def check_performance(target: TargetConfig) -> CheckResult:
    store = MetricsStore(default_db(target.root))
    runs = store.runs()
    if not runs:
        return CheckResult(
            name=NAME,
            status=CheckStatus.WARNING,
            details=f"no measured run in {store.path}: every engine gate records one "
            "(run a phase with `remediate run`), or, where the target's interpreter has this "
            "project, run `pytest --remediation-perf` (or ini remediation_perf = true)",
        )
    latest = runs[-1]
    analysis = analyze(store.metrics(latest.run_id), thresholds_of(target.testing.performance))
    trends = store.trends()
    data: dict[str, object] = {
        "run_id": latest.run_id,
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
            details=f"run {latest.run_id}: {len(analysis.findings)} threshold finding(s), "
            f"{len(trends)} slowdown(s): {shown}",
            data=data,
        )
    return CheckResult(
        name=NAME,
        status=CheckStatus.PASSED,
        details=f"run {latest.run_id}: {analysis.total_tests} tests within the thresholds, "
        "no test 3× slower than the run before",
        data=data,
    )


PERFORMANCE_CHECK = PhaseCheck(
    name=NAME,
    description="tests stay within the configured time, memory, SQL and HTTP thresholds",
    run=check_performance,
    after_gate=True,  # judges the metrics of this phase's own gate run
)
