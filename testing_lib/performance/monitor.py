"""`TestPerformanceMonitor`: wall and CPU time, RSS, SQL statements and HTTP requests per test.

Per test it takes two clock pairs (`perf_counter_ns`, `process_time_ns`), two memory samples
(current and high-water RSS, read as the injected monitor reads them: `/proc/self/status` on
Linux, whose high-water mark starts afresh at exec, unlike getrusage's, which a pytest
started by another process inherits) and two counter reads; findings against the configured
thresholds are structured (`PerformanceFinding`), never printed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from testing_lib.config.testing import TestPerformanceConfig
from testing_lib.performance.metrics import (
    PerformanceAnalysis,
    PerformanceFinding,
    TestPerformanceMetrics,
    analyze,
    findings_for,
    thresholds_of,
)
from testing_lib.runner.target_plugins import Sample, Sampler, metrics_record


class TestPerformanceMonitor:
    """Measures tests; the pytest plugin feeds it every test when monitoring is on."""

    __test__ = False

    def __init__(self, config: TestPerformanceConfig | None = None) -> None:
        self.config = config or TestPerformanceConfig()
        self.thresholds = thresholds_of(self.config)
        self.metrics: list[TestPerformanceMetrics] = []
        self.findings: list[PerformanceFinding] = []
        self.sampler = Sampler()
        self.counters = self.sampler.counters

    def start(self) -> Sample:
        return self.sampler.sample()

    def stop(
        self, test_name: str, sample: Sample, outcome: str = "passed"
    ) -> TestPerformanceMetrics:
        after = self.sampler.sample()
        metrics = TestPerformanceMetrics(**metrics_record(test_name, outcome, sample, after))
        self.metrics.append(metrics)
        found = findings_for(metrics, self.thresholds)
        if found:
            self.findings.extend(found)
        return metrics

    @contextmanager
    def measure(self, test_name: str) -> Iterator[TestPerformanceMonitor]:
        sample = self.start()
        try:
            yield self
        finally:
            self.stop(test_name, sample)

    @asynccontextmanager
    async def monitor_test(self, test_name: str) -> AsyncIterator[TestPerformanceMonitor]:
        """An async context manager: measure the block as `test_name`."""
        with self.measure(test_name):
            yield self

    def analyze_performance(self) -> PerformanceAnalysis:
        return analyze(self.metrics, self.thresholds)

    def get_slow_tests(self, threshold_ms: float = 1000) -> list[TestPerformanceMetrics]:
        return [m for m in self.metrics if m.execution_time_ms > threshold_ms]

    def close(self) -> None:
        self.sampler.close()
