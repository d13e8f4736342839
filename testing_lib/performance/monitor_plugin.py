"""pytest hooks and fixtures of the performance monitor (registered by `testing_lib.plugin`).

Enabled with `--remediation-perf` or ini `remediation_perf = true`. Each test is measured
around its whole protocol (setup, call, teardown); the rows are written once, at session
end, to `remediation_perf_db` (default TARGET/.remediation/metrics.sqlite) with the run's
metadata. Threshold findings come from `[tool.remediation.testing.performance]` and appear
in the terminal summary and the database, never through print.

Also provides the validation fixtures: `performance_monitor`,
`isolation_validator`, `cicd_validator`.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
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

_PLUGIN_NAME = "remediation-performance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("remediation", "remediation-engine testing library")
    group.addoption(
        "--remediation-perf",
        action="store_true",
        default=None,
        help="measure every test (time, CPU, RSS, SQL statements, HTTP requests) and store "
        "the run in .remediation/metrics.sqlite",
    )
    parser.addini("remediation_perf", type="bool", default=False, help="enable --remediation-perf")
    parser.addini(
        "remediation_perf_db",
        default="",
        help="metrics database (default: <rootdir>/.remediation/metrics.sqlite)",
    )


def _performance_config(config: pytest.Config) -> TestPerformanceConfig:
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


_PLUGIN_KEY = pytest.StashKey[PerformancePlugin]()


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("remediation_perf") or config.getini("remediation_perf"))


def pytest_configure(config: pytest.Config) -> None:
    if not _enabled(config):
        return
    performance = _performance_config(config)
    plugin = PerformancePlugin(config, TestPerformanceMonitor(performance))
    config.stash[_PLUGIN_KEY] = plugin
    config.pluginmanager.register(plugin, _PLUGIN_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.stash.get(_PLUGIN_KEY, None)
    if plugin is not None:
        plugin.close()
        config.pluginmanager.unregister(plugin, _PLUGIN_NAME)
        del config.stash[_PLUGIN_KEY]


@pytest.fixture
def performance_monitor(pytestconfig: pytest.Config) -> TestPerformanceMonitor:
    """The session's monitor when --remediation-perf is on, else a new one for this test."""
    plugin = pytestconfig.stash.get(_PLUGIN_KEY, None)
    if plugin is not None:
        return plugin.monitor
    return TestPerformanceMonitor(_performance_config(pytestconfig))


@pytest.fixture
def isolation_validator(pytestconfig: pytest.Config) -> Any:
    """A `TestIsolationValidator` for this project (runs its tests in new orders)."""
    from testing_lib.isolation import TestIsolationValidator

    return TestIsolationValidator(Path(pytestconfig.rootpath))


@pytest.fixture
def cicd_validator(pytestconfig: pytest.Config) -> Any:
    """A `CICDValidator` for this project (runs its suite under the CI profiles)."""
    from testing_lib.ci import CICDValidator

    return CICDValidator(Path(pytestconfig.rootpath))
