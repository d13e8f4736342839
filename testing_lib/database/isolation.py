"""Per-test database isolation, with two strategies.

`transaction` (default): one engine for the whole test session and the schema created once.
Each test runs inside an outer transaction on one connection; its `AsyncSession` joins it
with `join_transaction_mode="create_savepoint"`, so code under test may `commit()` (which
only releases a SAVEPOINT) and the outer transaction is rolled back after the test. SQLite
gets the savepoint fix and foreign keys from `engine.build_engine`.

`fresh`: a fresh database per test, copied from a template built once: on SQLite the backup
API copies the template over the in-memory database the tests use (one connection, so the
sessions of a test share it); PostgreSQL gets a new database per test with
`CREATE DATABASE ... TEMPLATE`, dropped after the test. For tests that need real commits.

On PostgreSQL with `create_schema=True` the configured URL is used only to create and drop
private databases (`<name>_rt_...`): the configured database itself is never written to.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from sqlalchemy import MetaData
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.orm import Session

from testing_lib.config.testing import TestDatabaseConfig
from testing_lib.database.engine import (
    CONNECT_ERRORS,
    build_engine,
    ensure_reachable,
    is_memory_sqlite,
    is_postgresql,
    is_sqlite,
    parse_url,
)
from testing_lib.database.errors import DatabaseUnreachableError
from testing_lib.database.provisioning import (
    create_database,
    drop_database,
    private_database_name,
)
from testing_lib.exceptions import TargetConfigError

logger = logging.getLogger(__name__)

Strategy = Literal["transaction", "fresh"]
STRATEGIES: tuple[Strategy, ...] = ("transaction", "fresh")


class IsolatedDatabaseManager:
    """Manages isolated database sessions for tests.

    Build it once per test session (it is cheap until first used), take one
    `isolated_session(test_id)` per test, and `await dispose()` at the end of the session.
    Engines hold no connection between tests, so each test may run in its own event loop.
    """

    def __init__(
        self,
        base_url: str | URL = "sqlite+aiosqlite:///:memory:",
        *,
        metadata: MetaData | None = None,
        strategy: Strategy = "transaction",
        create_schema: bool = True,
        engine_kwargs: dict[str, Any] | None = None,
        sqlite_in_loop: bool = True,
    ) -> None:
        if strategy not in STRATEGIES:
            raise TargetConfigError(
                f"unknown isolation strategy {strategy!r}: set "
                "[tool.remediation.testing.database] strategy to 'transaction' or 'fresh'"
            )
        if create_schema and metadata is None:
            raise TargetConfigError(
                "creating the test schema needs the models: set [tool.remediation] metadata = "
                "'package.module:Base', or create_schema = false for a migrated database"
            )
        self.base_url = parse_url(base_url)
        self.metadata = metadata
        self.strategy: Strategy = strategy
        self.create_schema = create_schema
        self._engine_kwargs = dict(engine_kwargs or {})
        self.sqlite_in_loop = sqlite_in_loop
        # Per-test engines (the `fresh` strategy), keyed by test id.
        self.engines: dict[str, AsyncEngine] = {}
        self.session_factories: dict[str, async_sessionmaker[AsyncSession]] = {}
        self._databases: dict[str, str] = {}  # test id -> per-test PostgreSQL database
        self._shared: AsyncEngine | None = None  # `transaction`: the session's engine
        self._template_engine: AsyncEngine | None = None  # `fresh` on SQLite: the template
        self._restored: AsyncEngine | None = None  # `fresh` on SQLite: the tests' database
        self._template_database: str | None = None  # `fresh` on PostgreSQL
        self._private: list[str] = []  # PostgreSQL databases to drop at dispose()
        self._ready = False

    @classmethod
    def from_config(
        cls, config: TestDatabaseConfig, metadata: MetaData | None
    ) -> IsolatedDatabaseManager:
        return cls(
            config.url,
            metadata=metadata,
            strategy=config.strategy,
            create_schema=config.create_schema,
            sqlite_in_loop=config.sqlite_in_loop,
        )

    @property
    def shared_engine(self) -> AsyncEngine | None:
        """The session's engine (`transaction` strategy, after `setup()`); else None."""
        return self._shared

    @property
    def discards_changes(self) -> bool:
        """True: whatever a test writes is thrown away after it (both strategies)."""
        return True

    # -- set-up ----------------------------------------------------------------------------

    async def setup(self) -> None:
        """Build what the session shares (private database, schema, template). Idempotent."""
        if self._ready:
            return
        if self.strategy == "transaction":
            await self._setup_shared()
        else:
            await self._setup_template()
        self._ready = True

    def _engine(self, url: URL, *, savepoint_fix: bool = True) -> AsyncEngine:
        return build_engine(
            url,
            savepoint_fix=savepoint_fix,
            sqlite_in_loop=self.sqlite_in_loop,
            **self._engine_kwargs,
        )

    async def _create_all(self, engine: AsyncEngine) -> None:
        metadata = self.metadata
        assert metadata is not None  # checked in __init__ when create_schema is set
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def _private_database(self, kind: str) -> URL:
        name = private_database_name(self.base_url.database, kind)
        await create_database(self.base_url, name)
        self._private.append(name)
        return self.base_url.set(database=name)

    async def _setup_shared(self) -> None:
        url = self.base_url
        if is_postgresql(url) and self.create_schema:
            await self._check_reachable(url)
            url = await self._private_database("session")
        engine = self._engine(url)
        try:
            await ensure_reachable(engine)
            if self.create_schema:
                await self._create_all(engine)
        except BaseException:
            await engine.dispose()
            raise
        self._shared = engine

    async def _setup_template(self) -> None:
        url = self.base_url
        if is_sqlite(url):
            template = self._engine(url.set(database=":memory:"))
            try:
                if self.create_schema:
                    await self._create_all(template)
                elif not is_memory_sqlite(url):
                    await self._copy_sqlite_file(url, template)
            except BaseException:
                await template.dispose()
                raise
            self._template_engine = template
            # Nothing is rolled back here: sessions keep the driver's transaction handling,
            # so that the sessions of a test can all share the one in-memory connection.
            self._restored = self._engine(url.set(database=":memory:"), savepoint_fix=False)
        elif is_postgresql(url):
            await self._check_reachable(url)
            if self.create_schema:
                template_url = await self._private_database("template")
                engine = self._engine(template_url)
                try:
                    await self._create_all(engine)
                finally:
                    await engine.dispose()  # a template must have no open connection
                self._template_database = template_url.database
            else:
                self._template_database = url.database
        else:
            raise TargetConfigError(
                f"the 'fresh' strategy supports SQLite and PostgreSQL, not "
                f"{url.get_backend_name()}: use strategy = 'transaction'"
            )

    async def _copy_sqlite_file(self, url: URL, template: AsyncEngine) -> None:
        source = self._engine(url)
        try:
            await ensure_reachable(source)
            async with source.connect() as src, template.connect() as dst:
                await _sqlite_copy(src, dst)
        finally:
            await source.dispose()

    async def _check_reachable(self, url: URL) -> None:
        engine = self._engine(url)
        try:
            await ensure_reachable(engine)
        finally:
            await engine.dispose()

    async def create_test_schema(self, session: AsyncSession) -> None:
        """Create all tables of the metadata in the database `session` is bound to."""
        metadata = self.metadata
        if metadata is None:
            raise TargetConfigError(
                "no metadata to create the schema from: set [tool.remediation] metadata"
            )

        def create(sync_session: Session) -> None:
            metadata.create_all(sync_session.connection())

        await session.run_sync(create)

    # -- per test --------------------------------------------------------------------------

    @asynccontextmanager
    async def isolated_session(self, test_id: str | None = None) -> AsyncIterator[AsyncSession]:
        """An `AsyncSession` whose writes (committed or not) no other test will see."""
        test_id = test_id or uuid.uuid4().hex
        await self.setup()
        if self.strategy == "transaction":
            async with self._transaction_session(test_id) as session:
                yield session
        else:
            try:
                session = await self._fresh_session(test_id)
                try:
                    yield session
                finally:
                    await session.close()
            finally:
                await self.cleanup_test_database(test_id)

    @asynccontextmanager
    async def _transaction_session(self, test_id: str) -> AsyncIterator[AsyncSession]:
        engine = self._shared
        assert engine is not None  # set by setup()
        try:
            conn = await engine.connect()
        except CONNECT_ERRORS as exc:
            raise DatabaseUnreachableError(engine.url, exc, purpose=f"test {test_id}") from exc
        try:
            outer = await conn.begin()
            session = AsyncSession(
                bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            try:
                yield session
            finally:
                await session.close()
                if outer.is_active:
                    await outer.rollback()
                else:  # the test ended the outer transaction itself: nothing left to undo
                    logger.warning(
                        "test %s ended the isolation transaction (COMMIT/ROLLBACK issued on "
                        "the connection); its writes may be visible to later tests",
                        test_id,
                    )
        finally:
            await conn.close()

    async def _fresh_session(self, test_id: str) -> AsyncSession:
        if self._template_engine is not None and self._restored is not None:
            # A new in-memory database per test would cost an engine, a thread and a
            # connection each time; copying the template over the previous test's database
            # (the backup replaces every page, schema included) gives the same fresh content.
            engine = self._restored
            async with self._template_engine.connect() as src, engine.connect() as dst:
                await _sqlite_copy(src, dst)
                await dst.exec_driver_sql("PRAGMA foreign_keys=ON")  # in case a test changed it
        else:
            assert self._template_database is not None  # set by setup()
            name = private_database_name(self.base_url.database, "test")
            await create_database(self.base_url, name, template=self._template_database)
            self._databases[test_id] = name
            engine = self._engine(self.base_url.set(database=name))
        self.engines[test_id] = engine
        factory = async_sessionmaker(engine, expire_on_commit=False)
        self.session_factories[test_id] = factory
        return factory()

    async def cleanup_test_database(self, test_id: str) -> None:
        """Dispose of a test's own engine and drop its database (`fresh`); else a no-op."""
        engine = self.engines.pop(test_id, None)
        self.session_factories.pop(test_id, None)
        if engine is not None and engine is not self._restored:
            await engine.dispose()
        name = self._databases.pop(test_id, None)
        if name is not None:
            await drop_database(self.base_url, name)

    # -- tear-down -------------------------------------------------------------------------

    async def dispose(self) -> None:
        """Close every engine and drop every database this manager created."""
        for test_id in list(self.engines):
            await self.cleanup_test_database(test_id)
        for engine in (self._shared, self._template_engine, self._restored):
            if engine is not None:
                await engine.dispose()
        self._shared = self._template_engine = self._restored = None
        while self._private:
            await drop_database(self.base_url, self._private.pop())
        self._template_database = None
        self._ready = False


async def _sqlite_copy(source: AsyncConnection, target: AsyncConnection) -> None:
    """Copy a whole SQLite database into another with SQLite's online backup API."""
    src = (await source.get_raw_connection()).driver_connection
    dst = (await target.get_raw_connection()).driver_connection
    if src is None or dst is None:  # pragma: no cover - aiosqlite always has one
        raise TargetConfigError("the SQLite driver exposes no connection to copy the template")
    await src.backup(dst)
