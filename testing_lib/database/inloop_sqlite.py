"""In-memory SQLite for tests without aiosqlite's worker thread.

aiosqlite runs every call (cursor, execute, fetch, close, commit...) on a thread of its own
and awaits the answer; SQLAlchemy makes three or four such calls per statement. On an
in-memory test database the statement itself takes microseconds while each thread hop costs
about 0.1 ms on a 2-core machine: most of a database test's time. For those databases the
engine can instead hand SQLAlchemy's aiosqlite adapter a connection object with aiosqlite's
interface whose coroutines call `sqlite3` directly, on the event loop's thread
(`create_async_engine(..., async_creator=...)`, SQLAlchemy's public hook for this).

Only for in-memory databases on one shared connection (`StaticPool`): there no other
connection can hold a lock the loop would block on. File databases, where one connection
may wait for another's lock (which, on the loop's thread, would never be released), keep
aiosqlite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.engine import URL


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue, which SQLAlchemy's adapter writes to
    directly when it sets `isolation_level`: runs the request at once."""

    def put_nowait(self, request: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = request
        try:
            result = function()
        except Exception as exc:  # noqa: BLE001 - the future carries it to the awaiting caller
            future.set_exception(exc)
        else:
            future.set_result(result)


class InLoopCursor:
    """aiosqlite's `Cursor` interface over a `sqlite3.Cursor`."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> InLoopCursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)  # type: ignore[arg-type]
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> InLoopCursor:
        self._cursor.executemany(sql, parameters)  # type: ignore[arg-type]
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return self._cursor.fetchmany()
        return self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid


class InLoopConnection:
    """The part of aiosqlite's `Connection` interface SQLAlchemy's adapter uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._tx = _ImmediateQueue()

    async def cursor(self) -> InLoopCursor:
        return InLoopCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> InLoopCursor:
        cursor = await self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        """SQLAlchemy's forced termination (aiosqlite stops its thread here)."""
        self._conn.close()

    async def create_function(
        self, name: str, num_params: int, func: Callable[..., Any], deterministic: bool = False
    ) -> None:
        self._conn.create_function(name, num_params, func, deterministic=deterministic)

    async def backup(
        self, target: InLoopConnection | sqlite3.Connection, *, pages: int = -1, name: str = "main"
    ) -> None:
        """SQLite's online backup API into `target` (as aiosqlite's `backup`)."""
        destination = target._conn if isinstance(target, InLoopConnection) else target
        self._conn.backup(destination, pages=pages, name=name)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def inloop_creator(url: URL, connect_args: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
    """An `async_creator` opening `url` (an in-memory SQLite URL) with the arguments the
    aiosqlite dialect would pass, `connect_args` applied over them."""
    dialect = url.get_dialect()()
    positional, keywords = dialect.create_connect_args(url)
    arguments: Sequence[Any] = tuple(positional)
    options = {**keywords, **connect_args, "check_same_thread": False}

    async def connect() -> InLoopConnection:
        return InLoopConnection(sqlite3.connect(*arguments, **options))

    return connect
