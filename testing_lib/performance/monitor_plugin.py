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

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the monitor's models load only when it measures
    from testing_lib.performance.monitor import TestPerformanceMonitor
    from testing_lib.performance.perf_session import PerformancePlugin

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


_PLUGIN_KEY: pytest.StashKey[PerformancePlugin] = pytest.StashKey()


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("remediation_perf") or config.getini("remediation_perf"))


def pytest_configure(config: pytest.Config) -> None:
    if not _enabled(config):
        return
    from testing_lib.performance.monitor import TestPerformanceMonitor
    from testing_lib.performance.perf_session import PerformancePlugin, performance_config

    plugin = PerformancePlugin(config, TestPerformanceMonitor(performance_config(config)))
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
    from testing_lib.performance.monitor import TestPerformanceMonitor
    from testing_lib.performance.perf_session import performance_config

    return TestPerformanceMonitor(performance_config(pytestconfig))


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
