"""The performance monitor's session plugin: each test measured, the run stored at the end.

Registered by `monitor_plugin` when `--remediation-perf` (or ini `remediation_perf`) is on;
a module of its own so that a pytest run without it loads none of the monitor's models.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any

import pytest

from testing_lib.config.testing import TestPerformanceConfig
from testing_lib.performance.monitor import TestPerformanceMonitor
from testing_lib.performance.store import (
    MetricsStore,
    RunInfo,
    default_db,
    git_revision,
    new_perf_run_id,
)

logger = logging.getLogger(__name__)


def performance_config(config: pytest.Config) -> TestPerformanceConfig:
    from testing_lib.plugin import load_test_configuration

    testing = load_test_configuration(config)
    return testing.performance if testing is not None else TestPerformanceConfig()


class PerformancePlugin:
    """Measures each test with a `TestPerformanceMonitor` and stores the run."""

    def __init__(self, config: pytest.Config, monitor: TestPerformanceMonitor) -> None:
        self.monitor = monitor
        self._outcomes: dict[str, str] = {}
        worker = getattr(config, "workerinput", None)
        self.run = RunInfo(
            run_id=str(worker["testrunuid"]) if worker else new_perf_run_id(),
            started_at=datetime.now(UTC),
            git_revision=git_revision(config.rootpath),
            pytest_args=" ".join(config.invocation_params.args),
        )
        raw = str(config.getini("remediation_perf_db") or "")
        self.db = (config.rootpath / raw) if raw else default_db(config.rootpath)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        monitor = self.monitor
        sample = monitor.start()
        try:
            return (yield)
        finally:
            nodeid = item.nodeid
            monitor.stop(nodeid, sample, self._outcomes.pop(nodeid, "passed"))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._outcomes[report.nodeid] = "error" if report.when != "call" else "failed"
        elif report.skipped and report.nodeid not in self._outcomes:
            self._outcomes[report.nodeid] = "skipped"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.monitor.metrics:
            return
        self.run.finished_at = datetime.now(UTC)
        written = MetricsStore(self.db).record_run(self.run, self.monitor.metrics)
        logger.info("Stored %d test metrics of run %s in %s", written, self.run.run_id, self.db)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(terminalreporter.config, "workerinput"):
            return
        monitor = self.monitor
        if not monitor.metrics:
            return
        terminalreporter.write_sep("-", "remediation performance")
        terminalreporter.write_line(
            f"{len(monitor.metrics)} tests measured, run {self.run.run_id} stored in {self.db}"
        )
        for finding in monitor.findings[:20]:
            terminalreporter.write_line(f"threshold: {finding.message}")
        if len(monitor.findings) > 20:
            terminalreporter.write_line(f"... {len(monitor.findings) - 20} more threshold findings")

    def close(self) -> None:
        self.monitor.close()
