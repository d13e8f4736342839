"""Create and drop PostgreSQL databases for a test session (private, template, per-test)."""

from __future__ import annotations

import logging
import os
import re
import secrets

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from testing_lib.database.engine import CONNECT_ERRORS, mask_url
from testing_lib.database.errors import DatabaseUnreachableError

logger = logging.getLogger(__name__)

MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1
PRIVATE_MARK = "_rt_"  # every database this library creates has it in its name


def private_database_name(base: str | None, kind: str) -> str:
    """A new database name: `<base>_rt_<kind>_<pid>_<random>` cut to PostgreSQL's limit.

    The pid and the `_rt_` mark let someone find databases left by a killed test run.
    """
    suffix = f"{PRIVATE_MARK}{kind}_{os.getpid()}_{secrets.token_hex(4)}"
    stem = re.sub(r"[^a-z0-9_]", "_", (base or "db").lower())[: MAX_IDENTIFIER - len(suffix)]
    return f"{stem}{suffix}"


def _admin_engine(url: URL) -> AsyncEngine:
    return create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


async def create_database(admin_url: URL, name: str, *, template: str | None = None) -> None:
    """`CREATE DATABASE name [TEMPLATE template]`, connected through `admin_url`."""
    engine = _admin_engine(admin_url)
    quote = engine.dialect.identifier_preparer.quote
    statement = f"CREATE DATABASE {quote(name)}"
    if template is not None:
        statement += f" TEMPLATE {quote(template)}"
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    except CONNECT_ERRORS as exc:
        if isinstance(exc, OSError | TimeoutError):
            raise DatabaseUnreachableError(
                admin_url, exc, purpose=f"creating database {name}"
            ) from exc
        raise
    finally:
        await engine.dispose()
    logger.debug("created database %s on %s", name, mask_url(admin_url))


async def drop_database(admin_url: URL, name: str) -> None:
    """`DROP DATABASE IF EXISTS name WITH (FORCE)`: other connections are ended first."""
    engine = _admin_engine(admin_url)
    quote = engine.dialect.identifier_preparer.quote
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)"))
    finally:
        await engine.dispose()
    logger.debug("dropped database %s on %s", name, mask_url(admin_url))
