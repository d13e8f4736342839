"""Register, log in, who-am-I, and the admin-only user list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from testing_lib.http import APITestUtils

from mdra.config import Settings
from mdra.models import User
from mdra.security import verify_password

NEW_USER = {"email": "Jane.Roe@Example.com", "password": "a-long-passphrase", "full_name": "Jane"}


async def test_register_creates_a_user_without_exposing_the_password(
    async_client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    response = await async_client.post("/auth/register", json=NEW_USER)

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "jane.roe@example.com"
    assert body["is_admin"] is False
    assert not {"password", "hashed_password"} & body.keys()
    async with session_factory() as session:
        stored = await session.scalar(select(User).where(User.email == "jane.roe@example.com"))
    assert stored is not None
    assert stored.hashed_password != NEW_USER["password"]
    assert verify_password(NEW_USER["password"], stored.hashed_password)


async def test_registering_the_same_email_twice_is_409(async_client: httpx.AsyncClient) -> None:
    await async_client.post("/auth/register", json=NEW_USER)

    response = await async_client.post(
        "/auth/register", json={**NEW_USER, "email": NEW_USER["email"].upper()}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


async def test_register_rejects_a_weak_password(async_client: httpx.AsyncClient) -> None:
    response = await async_client.post("/auth/register", json={**NEW_USER, "password": "short"})

    APITestUtils.assert_validation_error(response, "body.password")


async def test_login_returns_a_bearer_token_that_works_on_me(
    async_client: httpx.AsyncClient, settings: Settings
) -> None:
    await async_client.post("/auth/register", json=NEW_USER)

    login = await async_client.post(
        "/auth/token", json={"email": NEW_USER["email"], "password": NEW_USER["password"]}
    )

    assert login.status_code == 200
    token = login.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == settings.access_token_expire_minutes * 60
    me = await async_client.get(
        "/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == "jane.roe@example.com"


async def test_login_token_is_signed_with_the_configured_secret(
    async_client: httpx.AsyncClient, user: User, user_password: str, settings: Settings
) -> None:
    login = await async_client.post(
        "/auth/token", json={"email": user.email, "password": user_password}
    )

    claims = jwt.decode(
        login.json()["access_token"], settings.jwt_secret, algorithms=[settings.jwt_algorithm]
    )
    assert claims["sub"] == str(user.id)
    assert claims["admin"] is False


async def test_login_with_a_wrong_password_is_401(
    async_client: httpx.AsyncClient, user: User
) -> None:
    response = await async_client.post(
        "/auth/token", json={"email": user.email, "password": "not-the-password"}
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == {
        "code": "unauthorized",
        "message": "incorrect email or password",
    }


async def test_login_with_an_unknown_email_gives_the_same_401(
    async_client: httpx.AsyncClient,
) -> None:
    response = await async_client.post(
        "/auth/token", json={"email": "nobody@example.com", "password": "whatever-it-is"}
    )

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "incorrect email or password"


async def test_an_inactive_user_cannot_log_in(
    async_client: httpx.AsyncClient, make_user: Callable[..., Awaitable[User]], user_password: str
) -> None:
    dormant = await make_user(is_active=False)

    response = await async_client.post(
        "/auth/token", json={"email": dormant.email, "password": user_password}
    )

    assert response.status_code == 401


async def test_me_returns_the_owner_of_the_token(
    authenticated_client: httpx.AsyncClient, user: User
) -> None:
    response = await authenticated_client.get("/auth/me")

    assert response.status_code == 200
    assert response.json()["id"] == user.id
    assert response.json()["full_name"] == "Regulatory Specialist"


async def test_only_admins_may_list_users(
    authenticated_client: httpx.AsyncClient, admin_client: httpx.AsyncClient, user: User
) -> None:
    refused = await authenticated_client.get("/auth/users")
    allowed = await admin_client.get("/auth/users")

    APITestUtils.assert_error_response(refused, 403, "forbidden")
    users = APITestUtils.assert_success_response(allowed)
    assert user.email in {u["email"] for u in users}
