"""A scratch database: empty, of the same kind as a given URL, dropped afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import URL

from testing_lib.database.engine import is_postgresql, is_sqlite, parse_url
from testing_lib.database.errors import MigrationError
from testing_lib.database.provisioning import (
    create_database,
    drop_database,
    private_database_name,
)


@asynccontextmanager
async def scratch_database(like: str | URL) -> AsyncIterator[URL]:
    """An empty database of the same kind as `like`, dropped afterwards.

    SQLite: a file in a temporary directory (same driver). PostgreSQL: a private database
    created through `like`'s server.
    """
    base = parse_url(like)
    if is_sqlite(base):
        with tempfile.TemporaryDirectory(prefix="remediation-migrations-") as scratch:
            yield base.set(database=str(Path(scratch) / "migrations.db"))
        return
    if is_postgresql(base):
        name = private_database_name(base.database, "migrations")
        await create_database(base, name)
        try:
            yield base.set(database=name)
        finally:
            await drop_database(base, name)
        return
    raise MigrationError(
        f"cannot make a scratch {base.get_backend_name()} database to check migrations: use a "
        "SQLite or PostgreSQL URL in [tool.remediation.testing.database] url"
    )
