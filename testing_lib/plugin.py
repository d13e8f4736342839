"""The remediation pytest plugin (entry point `pytest11: remediation`).

Active for a project whose pyproject.toml has a `[tool.remediation]` table, or with
`--remediation-env` / ini `remediation_env = true`. When active it applies the test
environment at configure time (before test modules import application settings) and
restores it at unconfigure; the seed's `setup_test_environment` fixture exposes it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from testing_lib.config.target import RemediationTable, format_validation_error
from testing_lib.config.testing import TestConfiguration
from testing_lib.database.fixtures import (  # noqa: F401  (fixtures registered by the plugin)
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
from testing_lib.organizer.fixtures import test_file_organizer  # noqa: F401  (the seed's fixture)

# --- HTTP clients, auth, service mocks, dependency overrides (issue 4) --------------------
# Fixture modules, plus the override-leak hooks (testing_lib.di.leaks), as plugins of this one.
pytest_plugins = [
    "testing_lib.http.fixtures",
    "testing_lib.auth.fixtures",
    "testing_lib.mocks.fixtures",
    "testing_lib.di.fixtures",
    "testing_lib.di.leaks",
    "testing_lib.performance.plugin",  # issue 6: performance monitor, validation fixtures
]
# --- end issue 4 ---------------------------------------------------------------------------

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


def _remediation_table(rootpath: Path) -> dict[str, object] | None:
    pyproject = rootpath / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise pytest.UsageError(f"{pyproject}: cannot read [tool.remediation]: {exc}") from exc
    table = document.get("tool", {}).get("remediation")
    return table if isinstance(table, dict) else None


def load_test_configuration(config: pytest.Config) -> TestConfiguration | None:
    """The project's TestConfiguration when the plugin is active for it, else None."""
    table = _remediation_table(config.rootpath)
    enabled = bool(config.getoption("remediation_env") or config.getini("remediation_env"))
    if table is None and not enabled:
        return None
    try:
        return RemediationTable.model_validate(table or {}).testing
    except ValidationError as exc:
        source = config.rootpath / "pyproject.toml"
        raise pytest.UsageError(format_validation_error(source, exc)) from exc


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
