"""``/auth/me`` on an app this module builds for itself (planted: a dependency override left set).

The plugin guards ``mdra.main:app`` (and every app its client fixtures and
``dependency_container`` touch): a test that leaves an override there fails with a
``DependencyOverrideLeakWarning`` (an error under ``filterwarnings = error``) and the override
is undone before the next test. This module builds its own app with ``create_app()`` "to keep
the shared one clean" and calls it through a bare ``httpx`` client, so that guard never sees
it: the leak below is real, and only running the tests in another order shows it.

- victim: ``test_me_without_a_token_is_unauthorized`` passes alone and in this file's order,
  and fails after ``test_me_returns_the_signed_in_user``, which sets
  ``app.dependency_overrides[get_current_user]`` and never removes it (200 instead of 401).

Fix: set the override in a fixture and remove it after ``yield`` (as ``client`` does for
``get_session``), or use ``dependency_container`` / ``TestDependencyContainer(app)``, which
restores overrides even when the test fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from mdra.database import get_session
from mdra.main import create_app
from mdra.models import User
from mdra.security import get_current_user

app = create_app()  # this module's own instance; every test below shares it

SIGNED_IN = User(
    id=7,
    email="specialist@mdra.example",
    full_name="Regulatory Specialist",
    hashed_password="!",  # never checked: the override skips authentication
    is_active=True,
    is_admin=False,
    created_at=datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
)


@pytest.fixture
async def client(
    isolated_db_dependency: Callable[[], AsyncIterator[AsyncSession]],
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of this module's app, its requests on this test's isolated database."""
    app.dependency_overrides[get_session] = isolated_db_dependency
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mdra.test") as client:
            yield client
    finally:
        app.dependency_overrides.pop(get_session, None)  # undone: this override does not leak


async def test_me_without_a_token_is_unauthorized(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/me")

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def signed_in() -> User:
    return SIGNED_IN


async def test_me_returns_the_signed_in_user(client: httpx.AsyncClient) -> None:
    # Planted: "sign in" by overriding the dependency, and never remove the override.
    app.dependency_overrides[get_current_user] = signed_in

    response = await client.get("/auth/me")

    assert response.status_code == 200, response.text
    assert response.json()["email"] == SIGNED_IN.email
