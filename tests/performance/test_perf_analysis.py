"""The monitor API, thresholds as findings, and trends across stored runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from testing_lib.config.testing import TestPerformanceConfig
from testing_lib.performance import (
    MetricsStore,
    RunInfo,
    TestPerformanceMetrics,
    TestPerformanceMonitor,
)


def metric(name: str, ms: float, **extra: float) -> TestPerformanceMetrics:
    return TestPerformanceMetrics(
        test_name=name,
        execution_time_ms=ms,
        memory_usage_mb=extra.get("mb", 0.0),
        database_queries=int(extra.get("sql", 0)),
        http_requests=int(extra.get("http", 0)),
    )


def test_monitor_test_measures_an_async_block() -> None:
    monitor = TestPerformanceMonitor()

    async def body() -> None:
        async with monitor.monitor_test("tests/test_x.py::test_block"):
            await asyncio.sleep(0)

    asyncio.run(body())

    (measured,) = monitor.metrics
    assert measured.test_name == "tests/test_x.py::test_block"
    assert measured.execution_time_ms >= 0
    assert measured.rss_after_mb > 0


def test_analysis_counts_slow_and_memory_heavy_tests_and_recommends() -> None:
    monitor = TestPerformanceMonitor()
    monitor.metrics = [metric("a", 10), metric("b", 1500), metric("c", 20, mb=80)]

    analysis = monitor.analyze_performance()

    assert analysis.total_tests == 3
    assert analysis.total_execution_time_ms == 1530
    assert analysis.average_execution_time_ms == 510
    assert (analysis.slow_tests_count, analysis.memory_intensive_tests_count) == (1, 1)
    assert analysis.recommendations[0].startswith("Optimize 1 slow test(s)")
    assert [m.test_name for m in monitor.get_slow_tests(15)] == ["b", "c"]


def test_thresholds_come_from_the_config_and_name_the_metric() -> None:
    config = TestPerformanceConfig(
        execution_time_threshold_ms=100, memory_threshold_mb=10, database_query_threshold=5
    )
    monitor = TestPerformanceMonitor(config)
    monitor.metrics = [metric("t", 150, mb=11, sql=6, http=11)]

    findings = monitor.analyze_performance().findings

    assert [(f.metric, f.value, f.threshold) for f in findings] == [
        ("execution_time_ms", 150, 100),
        ("memory_usage_mb", 11, 10),
        ("database_queries", 6, 5),
        ("http_requests", 11, 10),
    ]
    assert findings[2].message == "t ran 6 SQL statements (threshold 5)"


def _record(store: MetricsStore, run_id: str, minutes: int, *timings: tuple[str, float]) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    store.record_run(
        RunInfo(run_id=run_id, started_at=start), [metric(name, ms) for name, ms in timings]
    )


def test_a_test_three_times_slower_than_in_an_earlier_run_is_a_trend(tmp_path: Path) -> None:
    store = MetricsStore(tmp_path / "metrics.sqlite")
    _record(store, "run-1", 0, ("slow", 10), ("same", 10), ("tiny", 0.1))
    _record(store, "run-2", 1, ("slow", 20), ("same", 11), ("tiny", 0.9))
    _record(store, "run-3", 2, ("slow", 40), ("same", 12), ("tiny", 1.0))

    assert [t.test for t in store.trends()] == []  # run-3 against run-2: 2× at most
    (trend,) = store.trends(since="run-1")

    assert trend.test == "slow"
    assert trend.message == "slow got 4.0× slower since run run-1 (10.0 ms → 40.0 ms)"


def test_an_unknown_baseline_run_names_the_recent_ones(tmp_path: Path) -> None:
    store = MetricsStore(tmp_path / "metrics.sqlite")
    _record(store, "run-1", 0, ("a", 1))

    with pytest.raises(ValueError, match="no run 'nope'.*recent runs: run-1"):
        store.trends(since="nope")


def test_an_engine_gate_run_is_compared_with_the_same_phase_of_the_run_before(
    tmp_path: Path,
) -> None:
    store = MetricsStore(tmp_path / "metrics.sqlite")
    _record(store, "r1-core_infrastructure", 0, ("t", 10))
    _record(store, "r1-final_validation", 1, ("t", 10))
    assert store.trends() == []  # the first final_validation has no earlier one to compare
    _record(store, "r2-core_infrastructure", 2, ("t", 50))  # the slow-down
    assert [t.since_run for t in store.trends()] == ["r1-core_infrastructure"]

    _record(store, "r2-final_validation", 3, ("t", 40))

    (trend,) = store.trends()
    assert (trend.since_run, trend.before_ms, trend.now_ms) == ("r1-final_validation", 10, 40)
