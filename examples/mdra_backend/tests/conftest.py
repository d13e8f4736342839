"""Shared fixtures: every test gets its own isolated database, openFDA client and Redis double;
the database, HTTP clients, tokens, service mocks and the network guard come from the
remediation engine's testing library (its pytest plugin, ``testing_lib.plugin``).

From the library (see ``[tool.remediation]`` in pyproject.toml):

- ``isolated_db``: an ``AsyncSession`` on the schema of ``mdra.models:Base`` whose writes, even
  committed, no other test sees (rolled back after the test, or a fresh database per test:
  ``[tool.remediation.testing.database] strategy``); ``db_session``, ``session_factory`` and
  ``db_engine`` below are views of it, and the app's ``get_session`` is mapped onto it;
- ``test_data_factory``: rows of any model with random, seeded values (flushed, not committed);
- ``async_client`` / ``authenticated_client`` / ``admin_client`` / ``test_client`` call
  ``mdra.main:app`` in-process with its lifespan running; the app gets this test's database,
  openFDA client and cache through ``remediation_dependency_overrides`` below, applied by
  ``dependency_container`` and undone after the test;
- ``auth_fixtures`` signs tokens with the session's JWT secret (the plugin also puts it in
  ``JWT_SECRET`` for the app), valid or expired, wrongly signed, missing a claim, malformed;
- ``mock_openfda_service`` answers openFDA over respx from realistic data, ``mock_redis`` is a
  fresh fakeredis; ``remediation_network_guard`` (autouse) fails any un-mocked outbound call.

``mdra`` reads its settings lazily (``get_settings``); the autouse ``settings`` fixture clears
that cache around every test.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import fakeredis
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from testing_lib.auth import AuthTestFixtures

from mdra.config import Settings, get_settings
from mdra.database import get_session
from mdra.main import get_cache, get_openfda_client
from mdra.models import User
from mdra.services.cache import RedisCache
from mdra.services.openfda import OpenFDAClient
from tests.fixtures.factories import DEFAULT_PASSWORD, create_user
from tests.fixtures.querycount import QueryCounter

# Cheap password hashing whatever TESTING says (production keeps 600,000 PBKDF2 rounds).
os.environ.setdefault("PASSWORD_HASH_ITERATIONS", "1000")

Headers = dict[str, str]


class RecordingSleep:
    """Stands in for ``asyncio.sleep`` in the openFDA client: records delays, waits for none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


# --- settings ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def settings() -> Iterator[Settings]:
    """Current settings, re-read from the environment for this test (and cleared after)."""
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def reload_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Set environment variables (``None`` removes one) and return fresh settings."""

    def reload(**env: str | None) -> Settings:
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return get_settings()

    return reload


# --- database -----------------------------------------------------------------------------------


@pytest.fixture
def db_engine(isolated_db: AsyncSession) -> AsyncEngine:
    """The engine behind this test's isolated database (what ``QueryCounter`` listens on)."""
    bind = isolated_db.bind
    return bind.engine if isinstance(bind, AsyncConnection) else bind


@pytest.fixture
def session_factory(isolated_db: AsyncSession) -> async_sessionmaker[AsyncSession]:
    """Further sessions on this test's isolated database: they see what the test wrote, and
    their commits stay inside it (a SAVEPOINT under the ``transaction`` strategy)."""
    return async_sessionmaker(
        bind=isolated_db.bind, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db_session(isolated_db: AsyncSession) -> AsyncSession:
    """The test's own session: the library's ``isolated_db`` under the suite's old name."""
    return isolated_db


@pytest.fixture
def query_counter(db_engine: AsyncEngine) -> QueryCounter:
    return QueryCounter(db_engine)


# --- external services ----------------------------------------------------------------------


@pytest.fixture
def cache(mock_redis: fakeredis.FakeAsyncRedis) -> RedisCache:
    """The app's Redis cache over the library's fresh fakeredis."""
    return RedisCache(mock_redis, prefix="mdra-test:", default_ttl_s=300)


@pytest.fixture
def fda_base_url(settings: Settings) -> str:
    return settings.fda_base_url


@pytest.fixture
def fda_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def openfda_client(
    fda_base_url: str, fda_sleep: RecordingSleep
) -> AsyncIterator[OpenFDAClient]:
    """The real client (retries, backoff) with a recording sleep; only ever reaches openFDA
    through ``mock_openfda_service``."""
    client = OpenFDAClient(
        base_url=fda_base_url,
        api_key="test-fda-key",
        timeout_s=2.0,
        max_attempts=3,
        backoff_base_s=0.25,
        sleep=fda_sleep,
    )
    yield client
    await client.aclose()


# --- the app under test ------------------------------------------------------------------


@pytest.fixture
def remediation_dependency_overrides(
    isolated_db_dependency: Callable[[], AsyncIterator[AsyncSession]],
    openfda_client: OpenFDAClient,
    cache: RedisCache,
) -> dict[Any, Any]:
    """What ``mdra.main:app`` uses during a test (applied and undone by the library): each
    request gets its own session in the test's isolated database."""
    return {
        get_session: isolated_db_dependency,
        get_openfda_client: lambda: openfda_client,
        get_cache: lambda: cache,
    }


# --- users and tokens ------------------------------------------------------------------------


def user_data(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.full_name}


@pytest.fixture
def user_password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
async def user(db_session: AsyncSession) -> User:
    return await create_user(db_session, full_name="Regulatory Specialist")


@pytest.fixture
async def other_user(db_session: AsyncSession) -> User:
    return await create_user(db_session, full_name="Someone Else")


@pytest.fixture
async def admin_user(db_session: AsyncSession) -> User:
    return await create_user(db_session, full_name="Admin", is_admin=True)


@pytest.fixture
def remediation_test_user(user: User) -> dict[str, Any]:
    """``authenticated_client`` signs its token for ``user`` (a real row)."""
    return user_data(user)


@pytest.fixture
def remediation_admin_user(admin_user: User) -> dict[str, Any]:
    """``admin_client`` signs its token for ``admin_user`` (``is_admin`` in the database)."""
    return user_data(admin_user)


@pytest.fixture
def auth_headers(auth_fixtures: AuthTestFixtures, user: User) -> Headers:
    return auth_fixtures.create_auth_headers(user_data(user))


@pytest.fixture
def other_headers(auth_fixtures: AuthTestFixtures, other_user: User) -> Headers:
    return auth_fixtures.create_auth_headers(user_data(other_user))


@pytest.fixture
def admin_headers(auth_fixtures: AuthTestFixtures, admin_user: User) -> Headers:
    return auth_fixtures.create_auth_headers(user_data(admin_user))


@pytest.fixture
def make_user(db_session: AsyncSession) -> Callable[..., Awaitable[User]]:
    async def make(**kwargs: object) -> User:
        return await create_user(db_session, **kwargs)  # type: ignore[arg-type]

    return make
