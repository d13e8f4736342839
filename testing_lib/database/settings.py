"""What the database fixtures read from the project's `[tool.remediation]` table.

[tool.remediation]
metadata = "app.models:Base"                      # required for isolated_db
session_dependency = "app.database:get_session"   # optional: overridden per test
app = "app.main:app"                              # optional: the app to override it on

[tool.remediation.testing.database]
url = "sqlite+aiosqlite:///:memory:"              # or postgresql+asyncpg://...
strategy = "transaction"                          # or "fresh"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from testing_lib.project_settings import ProjectSettings, project_settings, read_project_settings

if TYPE_CHECKING:
    from testing_lib.config.testing import TestDatabaseConfig


def _default_database() -> TestDatabaseConfig:
    from testing_lib.config.testing import TestDatabaseConfig  # pydantic: when it is needed

    return TestDatabaseConfig()


@dataclass(frozen=True)
class DatabaseSettings:
    metadata: str | None = None
    session_dependency: str | None = None
    app: str | None = None
    database: TestDatabaseConfig = field(default_factory=_default_database)
    source: Path | None = None  # the pyproject.toml they came from

    def where(self, key: str) -> str:
        file = str(self.source) if self.source else "pyproject.toml"
        return f"{file} [tool.remediation] {key}"


def read_database_settings(rootpath: Path) -> DatabaseSettings:
    """The database keys of `rootpath/pyproject.toml` (defaults when there is no table)."""
    return _from_project(read_project_settings(rootpath))


def _from_project(settings: ProjectSettings) -> DatabaseSettings:
    return DatabaseSettings(
        metadata=settings.metadata,
        session_dependency=settings.session_dependency,
        app=settings.app,
        database=settings.testing.database,
        source=settings.source,
    )


_SETTINGS_KEY = pytest.StashKey[DatabaseSettings]()


def load_database_settings(config: pytest.Config) -> DatabaseSettings:
    """The database settings of the project pytest runs in (its rootdir's pyproject.toml),
    read once per session."""
    settings = config.stash.get(_SETTINGS_KEY, None)
    if settings is None:
        settings = config.stash[_SETTINGS_KEY] = _from_project(project_settings(config))
    return settings
