"""Performance monitoring of test runs: per-test metrics, thresholds, history and trends."""

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
