"""Performance monitoring of test runs: per-test metrics, thresholds, history and trends.

The names below are imported on first use (see `testing_lib.lazy_exports`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from testing_lib.performance.ingest import (
        prepare_monitor,
        read_monitor_file,
        record_monitor_file,
    )
    from testing_lib.performance.metrics import (
        PerformanceAnalysis,
        PerformanceFinding,
        TestPerformanceMetrics,
    )
    from testing_lib.performance.monitor import TestPerformanceMonitor
    from testing_lib.performance.perf_report import PerformanceReport, performance_report
    from testing_lib.performance.store import MetricsStore, RunInfo, Trend, default_db

__getattr__ = lazy_getattr(
    __name__,
    {
        "prepare_monitor": "ingest",
        "read_monitor_file": "ingest",
        "record_monitor_file": "ingest",
        "PerformanceAnalysis": "metrics",
        "PerformanceFinding": "metrics",
        "TestPerformanceMetrics": "metrics",
        "TestPerformanceMonitor": "monitor",
        "PerformanceReport": "perf_report",
        "performance_report": "perf_report",
        "MetricsStore": "store",
        "RunInfo": "store",
        "Trend": "store",
        "default_db": "store",
    },
)

__all__ = [
    "MetricsStore",
    "PerformanceAnalysis",
    "PerformanceFinding",
    "PerformanceReport",
    "RunInfo",
    "TestPerformanceMetrics",
    "TestPerformanceMonitor",
    "Trend",
    "default_db",
    "prepare_monitor",
    "performance_report",
    "read_monitor_file",
    "record_monitor_file",
]
