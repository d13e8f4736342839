"""Shared fixtures: every test gets its own in-memory database, app, client, Redis double and
openFDA client; openFDA is only ever reached through respx mocks.

Environment: the remediation engine's pytest plugin (``testing_lib.plugin``) normally sets
TESTING, DATABASE_URL, REDIS_URL, JWT_SECRET (random per session) and FDA_API_KEY at
``pytest_configure`` time. When it is absent we set a random per-session JWT_SECRET ourselves,
so no secret is ever hard-coded. ``mdra`` reads its settings lazily (``get_settings``), and the
autouse ``settings`` fixture clears that cache around every test, so the order in which these
variables and the ``mdra`` imports happen does not matter.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import fakeredis
import httpx
import pytest
import respx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import StaticPool

from mdra.config import Settings, get_settings
from mdra.database import Base, build_engine, build_sessionmaker, get_session
from mdra.main import create_app, get_cache, get_openfda_client
from mdra.models import User
from mdra.services.cache import RedisCache
from mdra.services.openfda import OpenFDAClient
from tests.fixtures.factories import DEFAULT_PASSWORD, auth_headers_for, create_user
from tests.fixtures.network_guard import NetworkGuard
from tests.fixtures.querycount import QueryCounter

# Normally provided by the remediation plugin (see the module docstring).
os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(48))
os.environ.setdefault("TESTING", "true")
# Cheap password hashing whatever TESTING says (production keeps 600,000 PBKDF2 rounds).
os.environ.setdefault("PASSWORD_HASH_ITERATIONS", "1000")

TEST_DATABASE_URL = "sqlite+aiosqlite:///:memory:"


class RecordingSleep:
    """Stands in for ``asyncio.sleep`` in the openFDA client: records delays, waits for none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


# --- environment and safety nets ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard()
    guard.install(monkeypatch)
    yield guard
    if guard.blocked:
        pytest.fail(
            "test reached for the network (mock it with respx): " + "; ".join(guard.blocked)
        )


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
async def db_engine() -> AsyncIterator[AsyncEngine]:
    """A private in-memory SQLite database with the full schema and foreign keys enforced."""
    engine = build_engine(
        TEST_DATABASE_URL, poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return build_sessionmaker(db_engine)


@pytest.fixture
async def db_session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        yield session


@pytest.fixture
def query_counter(db_engine: AsyncEngine) -> QueryCounter:
    return QueryCounter(db_engine)


# --- external services ----------------------------------------------------------------------


@pytest.fixture
async def fake_redis() -> AsyncIterator[fakeredis.FakeAsyncRedis]:
    redis = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    yield redis
    await redis.aclose()


@pytest.fixture
def cache(fake_redis: fakeredis.FakeAsyncRedis) -> RedisCache:
    return RedisCache(fake_redis, prefix="mdra-test:", default_ttl_s=300)


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


@pytest.fixture
def fda_mock(fda_base_url: str) -> Iterator[respx.MockRouter]:
    """respx router for openFDA; unmatched requests fall through to the network guard."""
    with respx.mock(base_url=fda_base_url, assert_all_called=False) as router:
        yield router


# --- application ----------------------------------------------------------------------------


@pytest.fixture
def app(
    session_factory: async_sessionmaker[AsyncSession],
    openfda_client: OpenFDAClient,
    cache: RedisCache,
) -> Iterator[FastAPI]:
    application = create_app()

    async def override_session() -> AsyncIterator[AsyncSession]:
        async with session_factory() as session:
            yield session

    application.dependency_overrides[get_session] = override_session
    application.dependency_overrides[get_openfda_client] = lambda: openfda_client
    application.dependency_overrides[get_cache] = lambda: cache
    yield application
    application.dependency_overrides.clear()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


# --- users and tokens ------------------------------------------------------------------------


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
def user_token(user: User) -> str:
    return auth_headers_for(user)["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def auth_headers(user_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {user_token}"}


@pytest.fixture
def other_headers(other_user: User) -> dict[str, str]:
    return auth_headers_for(other_user)


@pytest.fixture
def admin_headers(admin_user: User) -> dict[str, str]:
    return auth_headers_for(admin_user)


@pytest.fixture
def make_user(db_session: AsyncSession) -> Callable[..., Awaitable[User]]:
    async def make(**kwargs: object) -> User:
        return await create_user(db_session, **kwargs)  # type: ignore[arg-type]

    return make
