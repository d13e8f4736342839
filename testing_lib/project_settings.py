"""What the HTTP, auth, mock and override fixtures read from the project's `[tool.remediation]`.

[tool.remediation]
app = "app.main:app"              # the FastAPI/ASGI app the client fixtures call

[tool.remediation.testing.http]   # timeouts, redirects (TestHTTPConfig)
[tool.remediation.testing.auth]   # JWT secret/algorithm/claims (TestAuthConfig)
[tool.remediation.testing.services]  # mocking switches, openFDA base URL (TestServiceConfig)

Read once per pytest session (cached in the config's stash). The library is *active* for a
project that has the table, or with `--remediation-env` / ini `remediation_env = true`;
inactive projects get defaults and no autouse behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from testing_lib.config.pyproject import PYPROJECT, PyprojectError, remediation_table

if TYPE_CHECKING:  # pydantic's models load only for a project that has the table
    from testing_lib.config.testing import TestConfiguration

_KEY = pytest.StashKey["ProjectSettings"]()


@dataclass(frozen=True)
class ProjectSettings:
    active: bool = False
    app: str | None = None
    metadata: str | None = None
    session_dependency: str | None = None
    configured: TestConfiguration | None = None  # [tool.remediation.testing], when read
    source: Path | None = None  # the pyproject.toml they came from

    @cached_property
    def testing(self) -> TestConfiguration:
        """The project's test configuration (the defaults where it has none)."""
        if self.configured is not None:
            return self.configured
        from testing_lib.config.testing import TestConfiguration

        return TestConfiguration()

    def where(self, key: str) -> str:
        """`path/pyproject.toml [tool.remediation] key`, for error messages."""
        file = str(self.source) if self.source else "pyproject.toml"
        return f"{file} [tool.remediation] {key}".rstrip()


def read_project_settings(rootpath: Path, *, force_active: bool = False) -> ProjectSettings:
    """The settings of `rootpath/pyproject.toml` (defaults when there is no table)."""
    pyproject = rootpath / PYPROJECT
    try:
        table = remediation_table(rootpath)
    except PyprojectError as exc:
        raise pytest.UsageError(f"cannot read [tool.remediation]: {exc}") from exc
    if table is None:
        source = pyproject if pyproject.is_file() else None
        return ProjectSettings(active=force_active, source=source)
    from pydantic import ValidationError

    from testing_lib.config.target import RemediationTable, format_validation_error

    try:
        parsed = RemediationTable.model_validate(table)
    except ValidationError as exc:
        raise pytest.UsageError(format_validation_error(pyproject, exc)) from exc
    return ProjectSettings(
        active=True,
        app=parsed.app,
        metadata=parsed.metadata,
        session_dependency=parsed.session_dependency,
        configured=parsed.testing,
        source=pyproject,
    )


def project_settings(config: pytest.Config) -> ProjectSettings:
    """The settings of the project pytest runs in, read once per session."""
    cached = config.stash.get(_KEY, None)
    if cached is None:
        forced = bool(
            config.getoption("remediation_env", default=None) or config.getini("remediation_env")
        )
        cached = read_project_settings(config.rootpath, force_active=forced)
        config.stash[_KEY] = cached
    return cached
