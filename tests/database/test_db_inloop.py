"""In-memory SQLite on the event loop's thread: same behaviour as aiosqlite, without its thread."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Integer, String, event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from testing_lib.config.testing import TestDatabaseConfig
from testing_lib.database.engine import build_engine
from testing_lib.database.inloop_sqlite import InLoopConnection
from testing_lib.database.isolation import IsolatedDatabaseManager

MEMORY = "sqlite+aiosqlite:///:memory:"

pytestmark = pytest.mark.asyncio


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


async def _driver_connection(engine: AsyncEngine) -> object:
    async with engine.connect() as conn:
        return (await conn.get_raw_connection()).driver_connection


async def test_only_in_memory_databases_leave_aiosqlite_thread(tmp_path: Path) -> None:
    engines = {
        "in-loop": build_engine(MEMORY, sqlite_in_loop=True),
        "default": build_engine(MEMORY),
        "file": build_engine(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}", sqlite_in_loop=True),
    }
    try:
        kinds = {name: type(await _driver_connection(e)) for name, e in engines.items()}
    finally:
        for engine in engines.values():
            await engine.dispose()
    assert kinds == {
        "in-loop": InLoopConnection,
        "default": aiosqlite.Connection,
        "file": aiosqlite.Connection,  # another connection's lock would block the loop
    }


async def test_the_manager_follows_the_configured_driver() -> None:
    for in_loop, expected in ((True, InLoopConnection), (False, aiosqlite.Connection)):
        config = TestDatabaseConfig(sqlite_in_loop=in_loop)
        manager = IsolatedDatabaseManager.from_config(config, Base.metadata)
        try:
            async with manager.isolated_session("t") as session:
                raw = await (await session.connection()).get_raw_connection()
                assert type(raw.driver_connection) is expected
        finally:
            await manager.dispose()


async def test_statements_errors_and_streams_behave_as_on_aiosqlite() -> None:
    engine = build_engine(MEMORY, sqlite_in_loop=True)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            session.add_all([Item(name="a"), Item(name="b")])
            await session.commit()
            session.add(Item(name="a"))
            with pytest.raises(IntegrityError, match="UNIQUE constraint failed"):
                await session.commit()
            await session.rollback()
            streamed = [row async for row in await session.stream_scalars(select(Item.name))]
            assert sorted(streamed) == ["a", "b"]
            assert await session.scalar(text("PRAGMA foreign_keys")) == 1
    finally:
        await engine.dispose()
    assert "BEGIN" in statements  # the savepoint fix: SQLAlchemy, not the driver, begins


async def test_committed_rows_do_not_survive_the_isolated_session() -> None:
    manager = IsolatedDatabaseManager(MEMORY, metadata=Base.metadata)
    try:
        async with manager.isolated_session("writer") as session:
            session.add(Item(name="committed"))
            await session.commit()
            assert await session.scalar(select(Item.name)) == "committed"
        async with manager.isolated_session("reader") as session:
            assert (await session.scalars(select(Item))).all() == []
    finally:
        await manager.dispose()


async def test_fresh_copies_the_template_through_the_backup_api() -> None:
    manager = IsolatedDatabaseManager(MEMORY, metadata=Base.metadata, strategy="fresh")
    try:
        for name in ("first", "second"):
            async with manager.isolated_session(name) as session:
                assert (await session.scalars(select(Item))).all() == []
                session.add(Item(name=name))
                await session.commit()
    finally:
        await manager.dispose()
