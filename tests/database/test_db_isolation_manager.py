"""IsolatedDatabaseManager on SQLite and PostgreSQL, both strategies, and its bad inputs."""

from __future__ import annotations

import asyncio
import threading
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import StaticPool

from testing_lib.database.errors import DatabaseUnreachableError
from testing_lib.database.isolation import IsolatedDatabaseManager
from testing_lib.exceptions import DatabaseIsolationError, TargetConfigError
from tests.database.conftest import SQLITE_URL, private_databases

STRATEGIES = ["transaction", "fresh"]


async def user_count(session: AsyncSession, models: ModuleType) -> int:
    return int(await session.scalar(select(func.count()).select_from(models.User)) or 0)


def new_user(models: ModuleType, n: int) -> Any:
    return models.User(google_id=f"g{n}", email=f"u{n}@example.com", name=f"user {n}")


@pytest.mark.asyncio
@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_a_commit_in_one_session_is_invisible_to_the_next(
    models: ModuleType, database_url: str, strategy: str
) -> None:
    manager = IsolatedDatabaseManager(
        database_url, metadata=models.Base.metadata, strategy=strategy
    )
    seen = []
    try:
        for n in range(4):
            async with manager.isolated_session(f"test-{n}") as session:
                seen.append(await user_count(session, models))
                session.add(new_user(models, n))
                await session.commit()
                assert await user_count(session, models) == 1
    finally:
        await manager.dispose()
    assert seen == [0, 0, 0, 0]


@pytest.mark.asyncio
@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_an_integrity_error_leaves_the_next_session_isolated(
    models: ModuleType, database_url: str, strategy: str
) -> None:
    manager = IsolatedDatabaseManager(
        database_url, metadata=models.Base.metadata, strategy=strategy
    )
    try:
        async with manager.isolated_session("breaks-its-transaction") as session:
            session.add(new_user(models, 1))
            await session.commit()
            session.add(new_user(models, 1))  # same google_id and email: unique violation
            with pytest.raises(IntegrityError):
                await session.commit()
            # no rollback: the test leaves its session broken
        async with manager.isolated_session("next") as session:
            assert await user_count(session, models) == 0
            session.add(new_user(models, 1))  # the same values are free again
            await session.commit()
            assert await user_count(session, models) == 1
    finally:
        await manager.dispose()


@pytest.mark.asyncio
async def test_sqlite_foreign_keys_are_enforced(models: ModuleType) -> None:
    manager = IsolatedDatabaseManager(SQLITE_URL, metadata=models.Base.metadata)
    try:
        async with manager.isolated_session() as session:
            session.add(models.Project(user_id=999, name="orphan"))
            with pytest.raises(IntegrityError, match="FOREIGN KEY"):
                await session.flush()
    finally:
        await manager.dispose()


@pytest.mark.asyncio
async def test_without_the_savepoint_fix_the_same_recipe_leaks_on_sqlite(
    models: ModuleType,
) -> None:
    """Why the library applies the fix: the textbook recipe alone lets commits through."""
    engine = create_async_engine(SQLITE_URL, poolclass=StaticPool)
    async with engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
    seen = []
    for n in range(3):
        async with engine.connect() as conn:
            outer = await conn.begin()
            session = AsyncSession(bind=conn, join_transaction_mode="create_savepoint")
            seen.append(await user_count(session, models))
            session.add(new_user(models, n))
            await session.commit()
            await session.close()
            await outer.rollback()
    await engine.dispose()
    assert seen == [0, 1, 2]


@pytest.mark.asyncio
async def test_fresh_postgresql_databases_are_created_per_test_and_dropped(
    models: ModuleType, postgres_url: str
) -> None:
    manager = IsolatedDatabaseManager(postgres_url, metadata=models.Base.metadata, strategy="fresh")
    try:
        async with manager.isolated_session("one") as session:
            database = (await session.connection()).engine.url.database
            assert "_rt_test_" in str(database)
            during = private_databases(postgres_url)
            assert database in during
            assert any("_rt_template_" in name for name in during)
        assert database not in private_databases(postgres_url)
    finally:
        await manager.dispose()
    assert private_databases(postgres_url) == []


@pytest.mark.asyncio
async def test_transaction_strategy_on_postgresql_never_writes_the_configured_database(
    models: ModuleType, postgres_url: str
) -> None:
    manager = IsolatedDatabaseManager(postgres_url, metadata=models.Base.metadata)
    try:
        async with manager.isolated_session() as session:
            database = (await session.connection()).engine.url.database
            assert database != postgres_url.rsplit("/", 1)[-1]
            assert "_rt_session_" in str(database)
    finally:
        await manager.dispose()
    assert private_databases(postgres_url) == []


@pytest.mark.asyncio
async def test_an_unreachable_database_is_named_with_its_password_masked(
    models: ModuleType,
) -> None:
    url = "postgresql+asyncpg://app:s3cret-pw@127.0.0.1:1/test"
    manager = IsolatedDatabaseManager(url, metadata=models.Base.metadata)
    with pytest.raises(DatabaseUnreachableError) as caught:
        async with manager.isolated_session("t"):
            pass  # pragma: no cover - never reached
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "postgresql+asyncpg://app:***@127.0.0.1:1/test" in message
    assert "[tool.remediation.testing.database] url" in message
    assert isinstance(caught.value, DatabaseIsolationError)


@pytest.mark.asyncio
async def test_an_unopenable_sqlite_file_is_named(models: ModuleType) -> None:
    manager = IsolatedDatabaseManager(
        "sqlite+aiosqlite:////nonexistent-dir/sub/test.db", metadata=models.Base.metadata
    )
    threads_before = set(threading.enumerate())
    with pytest.raises(DatabaseUnreachableError, match="/nonexistent-dir/sub/test.db"):
        async with manager.isolated_session("t"):
            pass  # pragma: no cover - never reached
    # aiosqlite stops the worker thread of a failed connection without waiting for it: let
    # it deliver its last result to this loop before the loop closes.
    for thread in set(threading.enumerate()) - threads_before:
        await asyncio.to_thread(thread.join)


def test_an_unknown_strategy_names_the_setting(models: ModuleType) -> None:
    with pytest.raises(TargetConfigError, match=r"strategy to 'transaction' or 'fresh'"):
        IsolatedDatabaseManager(SQLITE_URL, metadata=models.Base.metadata, strategy="both")  # type: ignore[arg-type]


def test_a_sync_driver_url_names_the_async_drivers(models: ModuleType) -> None:
    manager = IsolatedDatabaseManager("sqlite:///:memory:", metadata=models.Base.metadata)
    with pytest.raises(TargetConfigError, match="sqlite\\+aiosqlite"):
        manager._engine(manager.base_url)


@pytest.mark.asyncio
async def test_create_test_schema_builds_the_tables_in_a_session(models: ModuleType) -> None:
    manager = IsolatedDatabaseManager(SQLITE_URL, metadata=models.Base.metadata)
    engine = create_async_engine(SQLITE_URL, poolclass=StaticPool)
    async with AsyncSession(engine) as session:
        await manager.create_test_schema(session)
        assert await user_count(session, models) == 0
    await engine.dispose()
