"""What `remediate perf TARGET [--since RUN]` shows: the last run's analysis and its trends."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from testing_lib.config.testing import TestPerformanceConfig
from testing_lib.performance.metrics import PerformanceAnalysis, analyze, thresholds_of
from testing_lib.performance.store import MetricsStore, RunInfo, Trend, default_db


class PerformanceReport(BaseModel):
    database: str
    run: RunInfo | None = None
    analysis: PerformanceAnalysis | None = None
    trends: list[Trend] = Field(default_factory=list)
    runs: list[str] = Field(default_factory=list)  # every stored run id, oldest first


def performance_report(
    root: Path,
    *,
    since: str | None = None,
    config: TestPerformanceConfig | None = None,
    factor: float = 3.0,
) -> PerformanceReport:
    """The newest stored run of `root`, analysed against `config`'s thresholds, with tests
    `factor`× slower than in run `since` (default: the previous run).

    Raises ValueError naming the stored runs when `since` is not one of them.
    """
    store = MetricsStore(default_db(root))
    runs = store.runs()
    report = PerformanceReport(database=str(store.path), runs=[r.run_id for r in runs])
    if not runs:
        return report
    latest = runs[-1]
    report.run = latest
    report.analysis = analyze(
        store.metrics(latest.run_id), thresholds_of(config or TestPerformanceConfig())
    )
    report.trends = store.trends(since=since, factor=factor)
    return report
