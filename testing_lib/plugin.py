"""The remediation pytest plugin (entry point `pytest11: remediation`).

Active for a project whose pyproject.toml has a `[tool.remediation]` table, or with
`--remediation-env` / ini `remediation_env = true`. When active it applies the test
environment at configure time (before test modules import application settings) and
restores it at unconfigure; the `setup_test_environment` fixture exposes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from testing_lib.database.db_fixtures import (  # noqa: F401  (fixtures registered by the plugin)
    _remediation_unisolated_session_guard,
    isolated_db,
    isolated_db_dependency,
    remediation_database_settings,
    remediation_db_manager,
    remediation_factory_seed,
    remediation_models,
    remediation_session_override_target,
    test_data_factory,
)
from testing_lib.environment import TestEnvironment
from testing_lib.organizer.organizer_fixtures import test_file_organizer  # noqa: F401  (registered)
from testing_lib.project_settings import project_settings

if TYPE_CHECKING:  # pydantic's models load only for a project the plugin is active for
    from testing_lib.config.testing import TestConfiguration

# HTTP clients, auth, service mocks, dependency overrides, the performance monitor:
# fixture modules, plus the override-leak hooks (testing_lib.di.leaks), as plugins of this one.
pytest_plugins = [
    "testing_lib.http.http_fixtures",
    "testing_lib.auth.auth_fixtures",
    "testing_lib.mocks.mock_fixtures",
    "testing_lib.di.override_fixtures",
    "testing_lib.di.leaks",
    "testing_lib.performance.monitor_plugin",  # performance monitor, validation fixtures
]

_ENV_KEY = pytest.StashKey[TestEnvironment]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("remediation", "remediation-engine testing library")
    group.addoption(
        "--remediation-env",
        action="store_true",
        default=None,
        help="apply the test environment (TESTING, DATABASE_URL, REDIS_URL, JWT_SECRET, "
        "FDA_API_KEY) even without a [tool.remediation] table",
    )
    parser.addini(
        "remediation_env",
        type="bool",
        default=False,
        help="apply the remediation test environment for this project",
    )


def load_test_configuration(config: pytest.Config) -> TestConfiguration | None:
    """The project's TestConfiguration when the plugin is active for it, else None."""
    settings = project_settings(config)
    return settings.testing if settings.active else None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    testing = load_test_configuration(config)
    if testing is None:
        return
    environment = TestEnvironment(testing)
    environment.apply()
    config.stash[_ENV_KEY] = environment


def pytest_unconfigure(config: pytest.Config) -> None:
    environment = config.stash.get(_ENV_KEY, None)
    if environment is not None:
        environment.restore()


def pytest_report_header(config: pytest.Config) -> str | None:
    environment = config.stash.get(_ENV_KEY, None)
    if environment is None:
        return None
    return "remediation: test environment applied (" + ", ".join(environment.values) + ")"


@pytest.fixture(scope="session", autouse=True)
def setup_test_environment(request: pytest.FixtureRequest) -> TestEnvironment | None:
    """The applied test environment (None when the plugin is not active for this project).

    Applied at configure time and restored at unconfigure, so that test modules importing
    application settings during collection already see the test values.
    """
    return request.config.stash.get(_ENV_KEY, None)
