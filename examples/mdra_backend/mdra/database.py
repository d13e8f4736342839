"""Async engine, session factory and the ``get_session`` FastAPI dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from mdra.config import get_settings


class Base(DeclarativeBase):
    """Declarative base of every MDRA model."""


def _enable_sqlite_foreign_keys(
    dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry
) -> None:
    # SQLite enforces foreign keys (and ON DELETE CASCADE) only when asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def install_sqlite_foreign_keys(engine: AsyncEngine) -> None:
    """Turn on ``PRAGMA foreign_keys`` for every new connection of a SQLite engine."""
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)


def build_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``database_url``; SQLite engines get foreign keys switched on."""
    if database_url.startswith("sqlite") and ":memory:" in database_url:
        # One shared connection, or every checkout would see a new, empty database.
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = create_async_engine(database_url, **kwargs)
    install_sqlite_foreign_keys(engine)
    return engine


def build_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: attributes stay readable after commit without a (sync) lazy reload.
    return async_sessionmaker(engine, expire_on_commit=False)


@lru_cache(maxsize=1)
def get_engine() -> AsyncEngine:
    """The process-wide engine, built on first use from the settings."""
    return build_engine(get_settings().database_url)


@lru_cache(maxsize=1)
def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    return build_sessionmaker(get_engine())


async def dispose_engine() -> None:
    """Dispose of the process-wide engine if one was built (called at application shutdown)."""
    if get_engine.cache_info().currsize:
        await get_engine().dispose()
    get_sessionmaker.cache_clear()
    get_engine.cache_clear()


async def get_session() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request, closed (and rolled back if open) after it."""
    async with get_sessionmaker()() as session:
        yield session
