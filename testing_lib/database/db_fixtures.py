"""pytest fixtures for isolated databases and test data, registered by the plugin.

Use `isolated_db` (an `AsyncSession`) and `test_data_factory` in tests. They are configured
from `[tool.remediation]` (see `settings.py`); the session-scoped pieces are small fixtures a
project may override in its conftest (pytest-django's habit):

- `remediation_database_settings`: the keys read from pyproject.toml;
- `remediation_models`: the models (override it to use other models than `metadata`);
- `remediation_db_manager`: the session's `IsolatedDatabaseManager`;
- `remediation_factory_seed`: the session seed (env `REMEDIATION_FACTORY_SEED` replays one).

When `session_dependency` and `app` are configured, `isolated_db` overrides the dependency
on that app for the test, so API calls run in the test's isolated database (each request
its own session on the test's connection, requests serialized); a test that reaches the
dependency without `isolated_db` gets an error naming the fixture. `isolated_db_dependency`
is the override itself, for conftests that build their own apps.

Database modules are imported when a fixture first runs, not when pytest loads the plugin.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from testing_lib.database.settings import DatabaseSettings, load_database_settings
from testing_lib.exceptions import DatabaseIsolationError
from testing_lib.project_settings import project_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from testing_lib.database.factory import TestDataFactory
    from testing_lib.database.isolation import IsolatedDatabaseManager
    from testing_lib.database.metadata import ModelCatalog

SEED_ENV = "REMEDIATION_FACTORY_SEED"
SEED_PROPERTY = "remediation_factory_seed"

SessionDependency = Callable[[], AsyncIterator["AsyncSession"]]


def run_in_thread(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to completion in a new thread with its own event loop.

    Used at session teardown, where pytest-asyncio's loops are not ours to run or replace.
    """
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target, name="remediation-db-teardown")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture(scope="session")
def remediation_database_settings(pytestconfig: pytest.Config) -> DatabaseSettings:
    """`[tool.remediation]` metadata, session_dependency, app and testing.database."""
    return load_database_settings(pytestconfig)


@pytest.fixture(scope="session")
def remediation_models(remediation_database_settings: DatabaseSettings) -> ModelCatalog:
    """The project's models, from `[tool.remediation] metadata = "pkg.module:Base"`."""
    from testing_lib.database.errors import MetadataImportError
    from testing_lib.database.metadata import load_catalog

    settings = remediation_database_settings
    if settings.metadata is None:
        raise pytest.UsageError(
            f'isolated_db needs the project\'s models: add metadata = "package.module:Base" '
            f"to {settings.where('')} (a declarative base or MetaData), or override the "
            "`remediation_models` fixture in conftest.py"
        )
    catalog = load_catalog(settings.metadata)
    if not catalog.metadata.tables:
        raise MetadataImportError(
            settings.metadata,
            "metadata",
            "it has no tables: point it at a module that imports every model "
            "(e.g. 'app.models:Base', not the module that only defines Base)",
        )
    return catalog


@pytest.fixture(scope="session")
def remediation_db_manager(
    remediation_database_settings: DatabaseSettings, remediation_models: ModelCatalog
) -> Iterator[IsolatedDatabaseManager]:
    """The session's database manager; set up lazily by the first test that uses it."""
    from testing_lib.database.isolation import IsolatedDatabaseManager

    manager = IsolatedDatabaseManager.from_config(
        remediation_database_settings.database, remediation_models.metadata
    )
    yield manager
    run_in_thread(manager.dispose)


@pytest.fixture(scope="session")
def remediation_factory_seed() -> int:
    """The session seed of `test_data_factory`; each test derives its own from it."""
    raw = os.environ.get(SEED_ENV)
    if raw is None:
        from testing_lib.database.factory import new_session_seed

        return new_session_seed()
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(
            f"{SEED_ENV}={raw!r} is not an integer: copy the seed from a failure report"
        ) from None


@pytest.fixture(scope="session")
def remediation_session_override_target(
    remediation_database_settings: DatabaseSettings,
) -> tuple[Any, Any] | None:
    """(app, session dependency) when both are configured and the app takes overrides."""
    settings = remediation_database_settings
    if settings.session_dependency is None or settings.app is None:
        return None
    from testing_lib.database.metadata import import_object

    dependency = import_object(settings.session_dependency, key="session_dependency")
    app = import_object(settings.app, key="app")
    if not isinstance(getattr(app, "dependency_overrides", None), dict):
        return None  # e.g. an app factory: use isolated_db_dependency in the conftest
    return app, dependency


def _override(overrides: dict[Any, Any], key: Any, value: Any) -> Callable[[], None]:
    missing = object()
    previous = overrides.get(key, missing)
    overrides[key] = value

    def restore() -> None:
        if previous is missing:
            overrides.pop(key, None)
        else:
            overrides[key] = previous

    return restore


@pytest.fixture(autouse=True)
def _remediation_unisolated_session_guard(
    request: pytest.FixtureRequest,
) -> Iterator[None]:
    """Make the configured session dependency fail loudly for tests without isolated_db."""
    configured = project_settings(request.config)  # cheap (read once): every test runs this
    if configured.session_dependency is None or configured.app is None:
        yield
        return
    if "isolated_db" in request.fixturenames:
        yield
        return
    settings: DatabaseSettings = request.getfixturevalue("remediation_database_settings")
    if settings.session_dependency is None or settings.app is None:
        yield
        return
    target = request.getfixturevalue("remediation_session_override_target")
    if target is None:
        yield
        return
    app, dependency = target
    if dependency in app.dependency_overrides:
        yield  # the project overrides it itself
        return
    nodeid = request.node.nodeid

    async def refuse() -> AsyncIterator[AsyncSession]:
        raise DatabaseIsolationError(
            nodeid,
            LookupError(
                f"the test reached {settings.session_dependency} through {settings.app} "
                "without an isolated database: request the `isolated_db` fixture (or "
                "`test_data_factory`) in this test"
            ),
        )
        yield  # pragma: no cover - makes this an async generator like the dependency

    restore = _override(app.dependency_overrides, dependency, refuse)
    try:
        yield
    finally:
        restore()


@pytest_asyncio.fixture
async def isolated_db(
    request: pytest.FixtureRequest, remediation_db_manager: IsolatedDatabaseManager
) -> AsyncIterator[AsyncSession]:
    """An `AsyncSession` of an isolated database: nothing it writes, even committed,
    is seen by another test (strategy from [tool.remediation.testing.database])."""
    target: tuple[Any, Any] | None = request.getfixturevalue("remediation_session_override_target")
    async with remediation_db_manager.isolated_session(request.node.nodeid) as session:
        restore: Callable[[], None] | None = None
        if target is not None:
            app, dependency = target
            restore = _override(app.dependency_overrides, dependency, _dependency_for(session))
        try:
            yield session
        finally:
            if restore is not None:
                restore()


def _dependency_for(session: AsyncSession) -> SessionDependency:
    """A session dependency for the app under test: each request gets its own session in
    the test's isolated database, one request at a time.

    `transaction`: the request's session joins the test's connection with a SAVEPOINT, so
    it sees what the test wrote and its commits stay inside the test's transaction.
    `fresh`: the request's session is bound to the test's own database engine. Requests are
    serialized: concurrent ones would interleave their transactions on one connection.
    """
    lock = asyncio.Lock()

    async def isolated_session_dependency() -> AsyncIterator[AsyncSession]:
        from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

        bind = session.bind
        mode = "create_savepoint" if isinstance(bind, AsyncConnection) else "conditional_savepoint"
        async with (
            lock,
            AsyncSession(
                bind=bind, join_transaction_mode=mode, expire_on_commit=False
            ) as request_session,
        ):
            yield request_session

    return isolated_session_dependency


@pytest.fixture
def isolated_db_dependency(isolated_db: AsyncSession) -> SessionDependency:
    """A FastAPI dependency giving each request a session in this test's isolated database:
    `app.dependency_overrides[get_session] = isolated_db_dependency`."""
    return _dependency_for(isolated_db)


@pytest_asyncio.fixture
async def test_data_factory(
    request: pytest.FixtureRequest,
    isolated_db: AsyncSession,
    remediation_models: ModelCatalog,
    remediation_factory_seed: int,
    remediation_db_manager: IsolatedDatabaseManager,
    remediation_database_settings: DatabaseSettings,
) -> AsyncIterator[TestDataFactory]:
    """A `TestDataFactory` on `isolated_db`, seeded from the session seed and the test id."""
    from testing_lib.database.factory import TestDataFactory, derive_seed

    node: pytest.Item = request.node
    seed = derive_seed(remediation_factory_seed, node.nodeid)
    node.user_properties.append((SEED_PROPERTY, remediation_factory_seed))
    node.add_report_section(
        "setup",
        "remediation factory seed",
        f"test_data_factory seed {seed} (session seed {remediation_factory_seed}); replay "
        f"with {SEED_ENV}={remediation_factory_seed}",
    )
    factory = TestDataFactory(isolated_db, remediation_models, seed=seed)
    yield factory
    auto_cleanup = remediation_database_settings.database.auto_cleanup
    if auto_cleanup and not remediation_db_manager.discards_changes:
        await factory.cleanup_all()


__all__ = [
    "isolated_db",
    "isolated_db_dependency",
    "remediation_database_settings",
    "remediation_db_manager",
    "remediation_factory_seed",
    "remediation_models",
    "remediation_session_override_target",
    "test_data_factory",
]
