"""Async engines for test databases: the SQLite savepoint fix, foreign keys, masked URLs.

SQLite's Python driver opens and commits transactions behind SQLAlchemy's back, which makes
the "outer transaction + SAVEPOINT" recipe leak committed rows between tests. The fix from
SQLAlchemy's documentation is applied to every SQLite engine built here: the driver's own
transaction handling is switched off (`isolation_level = None`) and SQLAlchemy emits `BEGIN`
itself. Foreign keys are switched on (`PRAGMA foreign_keys=ON`), which SQLite otherwise
ignores.

Pools: an in-memory SQLite database lives in its connection, so it gets one shared connection
(`StaticPool`); every other URL gets `NullPool`. asyncpg connections belong to the event
loop that opened them, and pytest-asyncio may run each test in its own loop: a connection is
therefore never kept from one test to the next.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, InvalidRequestError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, StaticPool

from testing_lib.database.errors import DatabaseUnreachableError
from testing_lib.database.inloop_sqlite import inloop_creator
from testing_lib.exceptions import TargetConfigError

CONNECT_TIMEOUT_S: Final = 10.0

# What a failed connection raises: OSError from asyncpg (refused, unknown host), a wrapped
# DBAPI error from SQLAlchemy (SQLite cannot open the file, PostgreSQL refuses the login),
# TimeoutError when the server does not answer.
CONNECT_ERRORS: Final = (OSError, SQLAlchemyError, TimeoutError)


def parse_url(url: str | URL) -> URL:
    """`url` as a SQLAlchemy URL, or TargetConfigError naming the setting to fix."""
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise TargetConfigError(
            f"{url!r} is not a database URL ({exc}): set [tool.remediation.testing.database] "
            "url to e.g. 'sqlite+aiosqlite:///:memory:' or "
            "'postgresql+asyncpg://user@127.0.0.1:5432/test'"
        ) from exc


def mask_url(url: str | URL) -> str:
    """The URL as text with its password replaced by `***`."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_postgresql(url: URL) -> bool:
    return url.get_backend_name() == "postgresql"


def is_memory_sqlite(url: URL) -> bool:
    database = url.database or ""
    return is_sqlite(url) and (database in ("", ":memory:") or "mode=memory" in str(url))


def _sqlite_foreign_keys(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_connect(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the driver, decide where transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    _sqlite_foreign_keys(dbapi_connection, record)


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def install_sqlite_fixes(engine: AsyncEngine, *, savepoint_fix: bool = True) -> None:
    """Switch on foreign keys for a SQLite engine, and the savepoint fix unless told not to
    (no-op for other backends). Idempotent.

    Without the savepoint fix the driver keeps its own transaction handling, under which
    several sessions on one shared connection (StaticPool) run in one implicit transaction:
    what suites written for an engine-per-test database expect.
    """
    if engine.dialect.name != "sqlite":
        return
    sync_engine = engine.sync_engine
    if not savepoint_fix:
        if not event.contains(sync_engine, "connect", _sqlite_foreign_keys):
            event.listen(sync_engine, "connect", _sqlite_foreign_keys)
        return
    if not event.contains(sync_engine, "connect", _sqlite_connect):
        event.listen(sync_engine, "connect", _sqlite_connect)
    if not event.contains(sync_engine, "begin", _sqlite_begin):
        event.listen(sync_engine, "begin", _sqlite_begin)


def build_engine(
    url: str | URL, *, savepoint_fix: bool = True, sqlite_in_loop: bool = False, **kwargs: Any
) -> AsyncEngine:
    """An async engine for a test database, with the SQLite fixes and a test-safe pool.

    `sqlite_in_loop`: an in-memory aiosqlite database runs its statements on the event
    loop's thread instead of aiosqlite's worker thread (`testing_lib.database.inloop_sqlite`).
    """
    parsed = parse_url(url)
    if is_memory_sqlite(parsed):
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        if (
            sqlite_in_loop
            and parsed.get_driver_name() == "aiosqlite"
            and kwargs["poolclass"] is StaticPool
            and "creator" not in kwargs
        ):
            kwargs.setdefault("async_creator", inloop_creator(parsed, kwargs["connect_args"]))
    else:
        kwargs.setdefault("poolclass", NullPool)
        if is_postgresql(parsed) and parsed.get_driver_name() == "asyncpg":
            kwargs.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_S})
    try:
        engine = create_async_engine(parsed, **kwargs)
    except ArgumentError as exc:
        raise TargetConfigError(
            f"cannot build an engine for {mask_url(parsed)}: {exc}: check "
            "[tool.remediation.testing.database] url"
        ) from exc
    except InvalidRequestError as exc:
        raise TargetConfigError(
            f"{mask_url(parsed)} does not name an asyncio driver ({exc}): use e.g. "
            "'sqlite+aiosqlite://...' or 'postgresql+asyncpg://...' in "
            "[tool.remediation.testing.database] url"
        ) from exc
    except ModuleNotFoundError as exc:
        raise TargetConfigError(
            f"the driver for {mask_url(parsed)} is not installed ({exc}): install it in the "
            "target's environment or change [tool.remediation.testing.database] url"
        ) from exc
    install_sqlite_fixes(engine, savepoint_fix=savepoint_fix)
    return engine


async def ensure_reachable(engine: AsyncEngine, *, purpose: str = "the test database") -> None:
    """Open and close one connection; raise DatabaseUnreachableError (password masked)."""
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S + 5):
            async with engine.connect():
                pass
    except CONNECT_ERRORS as exc:
        raise DatabaseUnreachableError(engine.url, exc, purpose=purpose) from exc
