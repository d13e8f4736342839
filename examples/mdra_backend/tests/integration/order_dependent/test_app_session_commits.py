"""Registration and login through the app's *own* database session (planted: rows that leak).

Everything else in this suite reaches the database through ``isolated_db``: the app's
``get_session`` is mapped onto it and every write is rolled back after the test. The
``real_session_client`` below skips that mapping "to test what production runs": requests use
``mdra.database.get_session`` on the process-wide engine (``DATABASE_URL`` is in-memory SQLite
under the plugin, one shared connection), and ``/auth/register`` commits there. Nothing
rolls that back, so a committed user is still there for every later test in the process.

- victim: ``test_login_is_refused_before_registration`` passes alone and in this file's
  order, and fails after ``test_registration_commits_through_the_app_session`` (the
  specialist it expects to be unknown has been committed: 200 instead of 401);
- brittle: ``test_the_registered_specialist_can_log_in`` fails alone (no such user) and passes
  only after that same test, its state-setter.

A test that runs the app's lifespan in between (any test using ``async_client``) disposes of
the engine at shutdown, and the in-memory database with it: the validator names such a test
as a cleaner of the pair.

Fix: use ``async_client`` (its ``get_session`` is ``isolated_db``) and create the user each
test needs in that test, e.g. with ``tests.fixtures.factories.create_user``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mdra.database import Base, get_engine
from mdra.main import app

SPECIALIST = {
    "email": "specialist@mdra.example",
    "password": "correct horse battery staple",
    "full_name": "Regulatory Specialist",
}
CREDENTIALS = {"email": SPECIALIST["email"], "password": SPECIALIST["password"]}


@pytest.fixture
async def real_session_client() -> AsyncIterator[httpx.AsyncClient]:
    """The app with its real ``get_session`` (no override), on the app's own engine."""
    async with get_engine().begin() as connection:
        await connection.run_sync(Base.metadata.create_all)  # creates only missing tables
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mdra.test") as client:
        yield client


async def test_login_is_refused_before_registration(
    real_session_client: httpx.AsyncClient,
) -> None:
    response = await real_session_client.post("/auth/token", json=CREDENTIALS)

    assert response.status_code == 401, response.text
    assert response.json()["error"]["message"] == "incorrect email or password"


async def test_registration_commits_through_the_app_session(
    real_session_client: httpx.AsyncClient,
) -> None:
    response = await real_session_client.post("/auth/register", json=SPECIALIST)

    assert response.status_code == 201, response.text
    assert response.json()["email"] == SPECIALIST["email"]


async def test_the_registered_specialist_can_log_in(
    real_session_client: httpx.AsyncClient,
) -> None:
    response = await real_session_client.post("/auth/token", json=CREDENTIALS)

    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
