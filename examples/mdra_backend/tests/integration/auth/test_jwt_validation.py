"""Every way a bearer token can be wrong ends in 401 with ``WWW-Authenticate: Bearer``.

Tokens come from the library's ``auth_fixtures`` (signed with the session's JWT secret, which
the app reads from ``JWT_SECRET``); mdra's own ``create_access_token`` is used where the test
is about mdra's claims (subject format, deleted or deactivated users).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from testing_lib.auth import MALFORMED_KINDS, AuthTestFixtures
from testing_lib.http import APITestUtils

from mdra.models import User
from mdra.security import create_access_token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_401(response: httpx.Response, message_part: str | None = None) -> None:
    __tracebackhide__ = True
    body = APITestUtils.assert_error_response(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    if message_part is not None:
        assert message_part in body["error"]["message"]


def _who(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email}


async def test_a_valid_token_is_accepted(authenticated_client: httpx.AsyncClient) -> None:
    response = await authenticated_client.get("/auth/me")

    APITestUtils.assert_success_response(response)


async def test_expired_token_is_rejected_with_401(
    async_client: httpx.AsyncClient, auth_fixtures: AuthTestFixtures, user: User
) -> None:
    headers = auth_fixtures.expired_headers(_who(user))

    _assert_401(await async_client.get("/auth/me", headers=headers), "expired")


async def test_token_signed_with_a_wrong_key_is_rejected(
    async_client: httpx.AsyncClient, auth_fixtures: AuthTestFixtures, user: User
) -> None:
    headers = auth_fixtures.wrong_key_headers(_who(user))

    _assert_401(await async_client.get("/auth/me", headers=headers), "signature")


@pytest.mark.parametrize("claim", ["sub", "exp", "iat"])
async def test_a_token_missing_a_required_claim_is_rejected(
    async_client: httpx.AsyncClient, auth_fixtures: AuthTestFixtures, user: User, claim: str
) -> None:
    headers = auth_fixtures.missing_claim_headers(claim, _who(user))

    _assert_401(await async_client.get("/auth/me", headers=headers), f"'{claim}'")


async def test_a_token_that_is_not_an_access_token_is_rejected(
    async_client: httpx.AsyncClient, auth_fixtures: AuthTestFixtures, user: User
) -> None:
    headers = auth_fixtures.create_auth_headers({**_who(user), "extra_claims": {"type": "refresh"}})

    _assert_401(await async_client.get("/auth/me", headers=headers), "not an access token")


async def test_token_whose_subject_is_not_a_user_id_is_rejected(
    async_client: httpx.AsyncClient,
) -> None:
    token = create_access_token("jane@example.com")

    _assert_401(await async_client.get("/auth/me", headers=_bearer(token)), "subject")


@pytest.mark.parametrize("kind", MALFORMED_KINDS)
async def test_malformed_tokens_are_rejected(
    async_client: httpx.AsyncClient, auth_fixtures: AuthTestFixtures, kind: Any
) -> None:
    _assert_401(await async_client.get("/auth/me", headers=auth_fixtures.malformed_headers(kind)))


@pytest.mark.parametrize("token", ["Bearer", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30."])
async def test_other_garbage_after_bearer_is_rejected(
    async_client: httpx.AsyncClient, token: str
) -> None:
    _assert_401(await async_client.get("/auth/me", headers=_bearer(token)))


async def test_a_token_for_a_deleted_user_is_rejected(
    async_client: httpx.AsyncClient,
    auth_fixtures: AuthTestFixtures,
    user: User,
    db_session: AsyncSession,
) -> None:
    headers = auth_fixtures.create_auth_headers(_who(user))
    await db_session.execute(delete(User).where(User.id == user.id))
    await db_session.commit()

    _assert_401(await async_client.get("/auth/me", headers=headers), "not found")


async def test_a_deactivated_users_token_stops_working(
    authenticated_client: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    user.is_active = False
    await db_session.commit()

    _assert_401(await authenticated_client.get("/auth/me"), "inactive")


async def test_a_non_bearer_authorization_scheme_is_rejected(
    async_client: httpx.AsyncClient, auth_fixtures: AuthTestFixtures, user: User
) -> None:
    token = auth_fixtures.create_test_token(_who(user))

    response = await async_client.get("/auth/me", headers={"Authorization": f"Basic {token}"})

    _assert_401(response, "not authenticated")


async def test_a_token_from_mdra_itself_and_one_from_the_fixtures_are_interchangeable(
    async_client: httpx.AsyncClient, auth_fixtures: AuthTestFixtures, user: User
) -> None:
    ours = await async_client.get("/auth/me", headers=auth_fixtures.create_auth_headers(_who(user)))
    theirs = await async_client.get("/auth/me", headers=_bearer(create_access_token(user.id)))

    assert APITestUtils.assert_success_response(ours) == APITestUtils.assert_success_response(
        theirs
    )
