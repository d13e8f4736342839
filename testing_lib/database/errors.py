"""Errors of the database helpers; each message names what to fix."""

from __future__ import annotations

from sqlalchemy.engine import URL

from testing_lib.exceptions import (
    DatabaseIsolationError,
    TargetConfigError,
    TestInfrastructureError,
)


def _masked(url: URL) -> str:
    return url.render_as_string(hide_password=True)


class DatabaseUnreachableError(DatabaseIsolationError):
    """The test database could not be reached. The URL in the message has no password."""

    def __init__(self, url: URL, original_error: Exception, *, purpose: str) -> None:
        self.url = _masked(url)
        self.test_name = purpose
        self.original_error = original_error
        detail = f"{type(original_error).__name__}: {original_error}".strip()
        TestInfrastructureError.__init__(
            self,
            f"cannot connect to {self.url} for {purpose} ({detail}): start the database or "
            "point [tool.remediation.testing.database] url at a reachable one",
        )


class MetadataImportError(TargetConfigError):
    """`[tool.remediation] metadata` (or another import path) does not resolve."""

    def __init__(self, path: str, key: str, reason: str) -> None:
        self.path = path
        self.key = key
        super().__init__(f"[tool.remediation] {key} = {path!r} cannot be used: {reason}")


class MigrationError(TestInfrastructureError):
    """Alembic could not run (bad configuration, failing migration, several heads)."""


class MultipleHeadsError(MigrationError):
    """The migration directory has more than one head revision."""

    def __init__(self, heads: dict[str, str]) -> None:
        self.heads = heads
        names = ", ".join(f"{rev} ({path})" for rev, path in sorted(heads.items()))
        super().__init__(
            f"the migrations have {len(heads)} heads: {names}; merge them with "
            "`alembic merge heads -m 'merge'` so that upgrades have one target"
        )
