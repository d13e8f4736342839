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

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import ValidationError

from testing_lib.config.target import RemediationTable, format_validation_error
from testing_lib.config.testing import TestDatabaseConfig


@dataclass(frozen=True)
class DatabaseSettings:
    metadata: str | None = None
    session_dependency: str | None = None
    app: str | None = None
    database: TestDatabaseConfig = field(default_factory=TestDatabaseConfig)
    source: Path | None = None  # the pyproject.toml they came from

    def where(self, key: str) -> str:
        file = str(self.source) if self.source else "pyproject.toml"
        return f"{file} [tool.remediation] {key}"


def read_database_settings(rootpath: Path) -> DatabaseSettings:
    """The database keys of `rootpath/pyproject.toml` (defaults when there is no table)."""
    pyproject = rootpath / "pyproject.toml"
    if not pyproject.is_file():
        return DatabaseSettings()
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise pytest.UsageError(f"{pyproject}: cannot read [tool.remediation]: {exc}") from exc
    table = document.get("tool", {}).get("remediation")
    if not isinstance(table, dict):
        return DatabaseSettings(source=pyproject)
    try:
        parsed = RemediationTable.model_validate(table)
    except ValidationError as exc:
        raise pytest.UsageError(format_validation_error(pyproject, exc)) from exc
    return DatabaseSettings(
        metadata=parsed.metadata,
        session_dependency=parsed.session_dependency,
        app=parsed.app,
        database=parsed.testing.database,
        source=pyproject,
    )


_SETTINGS_KEY = pytest.StashKey[DatabaseSettings]()


def load_database_settings(config: pytest.Config) -> DatabaseSettings:
    """The database settings of the project pytest runs in (its rootdir's pyproject.toml),
    read once per session."""
    settings = config.stash.get(_SETTINGS_KEY, None)
    if settings is None:
        settings = config.stash[_SETTINGS_KEY] = read_database_settings(config.rootpath)
    return settings
