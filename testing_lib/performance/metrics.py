"""Per-test performance metrics, threshold findings and their analysis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from testing_lib.config.testing import TestPerformanceConfig

Metric = Literal["execution_time_ms", "memory_usage_mb", "database_queries", "http_requests"]


@dataclass(frozen=True)
class TestPerformanceMetrics:
    """One test's measurements.

    `memory_usage_mb` is RSS after minus RSS before. `peak_rss_mb` is the process's
    high-water RSS when the test raised it, else the larger of before and after (then a
    lower bound: psutil samples RSS only at the test's edges).
    """

    __test__ = False

    test_name: str
    execution_time_ms: float
    memory_usage_mb: float
    database_queries: int
    http_requests: int
    cpu_time_ms: float = 0.0
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    peak_rss_mb: float = 0.0
    outcome: str = "passed"


class PerformanceFinding(BaseModel):
    """A test that crossed a configured threshold."""

    test: str
    metric: Metric
    value: float
    threshold: float
    message: str


class PerformanceAnalysis(BaseModel):
    """What `analyze_performance` returns: totals, counts, findings and recommendations."""

    total_tests: int
    total_execution_time_ms: float
    average_execution_time_ms: float
    slow_tests_count: int
    memory_intensive_tests_count: int
    findings: list[PerformanceFinding] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)


def thresholds_of(config: TestPerformanceConfig) -> dict[Metric, float]:
    return {
        "execution_time_ms": config.execution_time_threshold_ms,
        "memory_usage_mb": config.memory_threshold_mb,
        "database_queries": float(config.database_query_threshold),
        "http_requests": float(config.http_request_threshold),
    }


_WHAT: dict[Metric, str] = {
    "execution_time_ms": "took {value:.0f} ms (threshold {threshold:.0f} ms)",
    "memory_usage_mb": "grew RSS by {value:.1f} MB (threshold {threshold:.0f} MB)",
    "database_queries": "ran {value:.0f} SQL statements (threshold {threshold:.0f})",
    "http_requests": "sent {value:.0f} HTTP requests (threshold {threshold:.0f})",
}


def findings_for(
    metrics: TestPerformanceMetrics, thresholds: dict[Metric, float]
) -> list[PerformanceFinding]:
    found = []
    for metric, threshold in thresholds.items():
        value = float(getattr(metrics, metric))
        if value > threshold:
            found.append(
                PerformanceFinding(
                    test=metrics.test_name,
                    metric=metric,
                    value=value,
                    threshold=threshold,
                    message=f"{metrics.test_name} "
                    + _WHAT[metric].format(value=value, threshold=threshold),
                )
            )
    return found


def analyze(
    metrics: list[TestPerformanceMetrics],
    thresholds: dict[Metric, float],
    *,
    slow_ms: float = 1000,
    memory_mb: float = 50,
) -> PerformanceAnalysis:
    total = sum(m.execution_time_ms for m in metrics)
    slow = [m for m in metrics if m.execution_time_ms > slow_ms]
    heavy = [m for m in metrics if m.memory_usage_mb > memory_mb]
    findings = [f for m in metrics for f in findings_for(m, thresholds)]
    recommendations = []
    if slow:
        recommendations.append(
            f"Optimize {len(slow)} slow test(s) (> {slow_ms:.0f} ms), slowest first: "
            + ", ".join(m.test_name for m in sorted(slow, key=lambda m: -m.execution_time_ms)[:5])
        )
    if heavy:
        recommendations.append(f"Review memory use in {len(heavy)} test(s) (> {memory_mb:.0f} MB)")
    chatty = [f for f in findings if f.metric == "database_queries"]
    if chatty:
        recommendations.append(
            f"{len(chatty)} test(s) exceed the SQL statement threshold: look for N+1 queries "
            "(selectinload) or build less data per test"
        )
    calls = [f for f in findings if f.metric == "http_requests"]
    if calls:
        recommendations.append(
            f"{len(calls)} test(s) exceed the HTTP request threshold: mock outbound calls "
            "or test fewer endpoints per test"
        )
    return PerformanceAnalysis(
        total_tests=len(metrics),
        total_execution_time_ms=total,
        average_execution_time_ms=total / len(metrics) if metrics else 0.0,
        slow_tests_count=len(slow),
        memory_intensive_tests_count=len(heavy),
        findings=findings,
        recommendations=recommendations,
    )
