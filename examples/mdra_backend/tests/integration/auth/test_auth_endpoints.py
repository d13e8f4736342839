"""Register, log in, who-am-I, and the admin-only user list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mdra.config import Settings
from mdra.models import User
from mdra.security import verify_password

Headers = dict[str, str]
NEW_USER = {"email": "Jane.Roe@Example.com", "password": "a-long-passphrase", "full_name": "Jane"}


async def test_register_creates_a_user_without_exposing_the_password(
    client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/auth/register", json=NEW_USER)

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


async def test_registering_the_same_email_twice_is_409(client: httpx.AsyncClient) -> None:
    await client.post("/auth/register", json=NEW_USER)

    response = await client.post(
        "/auth/register", json={**NEW_USER, "email": NEW_USER["email"].upper()}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


async def test_register_rejects_a_weak_password(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/register", json={**NEW_USER, "password": "short"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "password"]


async def test_login_returns_a_bearer_token_that_works_on_me(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await client.post("/auth/register", json=NEW_USER)

    login = await client.post(
        "/auth/token", json={"email": NEW_USER["email"], "password": NEW_USER["password"]}
    )

    assert login.status_code == 200
    token = login.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == settings.access_token_expire_minutes * 60
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "jane.roe@example.com"


async def test_login_token_is_signed_with_the_configured_secret(
    client: httpx.AsyncClient, user: User, user_password: str, settings: Settings
) -> None:
    login = await client.post("/auth/token", json={"email": user.email, "password": user_password})

    claims = jwt.decode(
        login.json()["access_token"], settings.jwt_secret, algorithms=[settings.jwt_algorithm]
    )
    assert claims["sub"] == str(user.id)
    assert claims["admin"] is False


async def test_login_with_a_wrong_password_is_401(client: httpx.AsyncClient, user: User) -> None:
    response = await client.post(
        "/auth/token", json={"email": user.email, "password": "not-the-password"}
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == {
        "code": "unauthorized",
        "message": "incorrect email or password",
    }


async def test_login_with_an_unknown_email_gives_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/auth/token", json={"email": "nobody@example.com", "password": "whatever-it-is"}
    )

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "incorrect email or password"


async def test_an_inactive_user_cannot_log_in(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[User]], user_password: str
) -> None:
    dormant = await make_user(is_active=False)

    response = await client.post(
        "/auth/token", json={"email": dormant.email, "password": user_password}
    )

    assert response.status_code == 401


async def test_me_returns_the_owner_of_the_token(
    client: httpx.AsyncClient, auth_headers: Headers, user: User
) -> None:
    response = await client.get("/auth/me", headers=auth_headers)

    assert response.status_code == 200
    assert response.json()["id"] == user.id
    assert response.json()["full_name"] == "Regulatory Specialist"


async def test_only_admins_may_list_users(
    client: httpx.AsyncClient, auth_headers: Headers, admin_headers: Headers, user: User
) -> None:
    refused = await client.get("/auth/users", headers=auth_headers)
    allowed = await client.get("/auth/users", headers=admin_headers)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert allowed.status_code == 200
    assert user.email in {u["email"] for u in allowed.json()}
