"""Every way a bearer token can be wrong ends in 401 with ``WWW-Authenticate: Bearer``."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from mdra.config import Settings
from mdra.models import User
from mdra.security import create_access_token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _assert_401(response: httpx.Response, message_part: str | None = None) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"
    if message_part is not None:
        assert message_part in response.json()["error"]["message"]


async def test_a_valid_token_is_accepted(client: httpx.AsyncClient, user: User) -> None:
    response = await client.get("/auth/me", headers=_bearer(create_access_token(user.id)))

    assert response.status_code == 200


async def test_expired_token_is_rejected_with_401(client: httpx.AsyncClient, user: User) -> None:
    token = create_access_token(user.id, timedelta(seconds=-30))

    await _assert_401(await client.get("/auth/me", headers=_bearer(token)), "expired")


async def test_token_signed_with_a_wrong_key_is_rejected(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    impostor = replace(settings, jwt_secret=secrets.token_urlsafe(48))
    token = create_access_token(user.id, settings=impostor)

    await _assert_401(await client.get("/auth/me", headers=_bearer(token)), "signature")


async def test_token_without_a_sub_claim_is_rejected(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    now = datetime.now(UTC)
    token = jwt.encode(
        {"iat": now, "exp": now + timedelta(minutes=5), "type": "access"},
        settings.jwt_secret,
        algorithm=settings.jwt_algorithm,
    )

    await _assert_401(await client.get("/auth/me", headers=_bearer(token)), "'sub'")


async def test_token_whose_subject_is_not_a_user_id_is_rejected(client: httpx.AsyncClient) -> None:
    token = create_access_token("jane@example.com")

    await _assert_401(await client.get("/auth/me", headers=_bearer(token)), "subject")


@pytest.mark.parametrize(
    "token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer", "ey.ey.ey"]
)
async def test_malformed_tokens_are_rejected(client: httpx.AsyncClient, token: str) -> None:
    await _assert_401(await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}))


async def test_a_token_for_a_deleted_user_is_rejected(
    client: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    token = create_access_token(user.id)
    await db_session.execute(delete(User).where(User.id == user.id))
    await db_session.commit()

    await _assert_401(await client.get("/auth/me", headers=_bearer(token)), "not found")


async def test_a_deactivated_users_token_stops_working(
    client: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    token = create_access_token(user.id)
    user.is_active = False
    await db_session.commit()

    await _assert_401(await client.get("/auth/me", headers=_bearer(token)), "inactive")


async def test_a_non_bearer_authorization_scheme_is_rejected(
    client: httpx.AsyncClient, user: User
) -> None:
    token = create_access_token(user.id)

    response = await client.get("/auth/me", headers={"Authorization": f"Basic {token}"})

    await _assert_401(response, "not authenticated")
