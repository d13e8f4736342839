"""Every route but a short public list refuses requests without a valid token."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from mdra.main import create_app
from mdra.security import create_access_token

PUBLIC_ROUTES = {("GET", "/health"), ("POST", "/auth/register"), ("POST", "/auth/token")}


def _api_routes() -> list[tuple[str, str, bool]]:
    """(method, path, protected) from the OpenAPI schema: an operation is protected when it
    declares the bearer security scheme, which only ``get_current_user`` depends on."""
    schema = create_app().openapi()
    return [
        (method.upper(), path, bool(operation.get("security")))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


PROTECTED = [(method, path) for method, path, protected in _api_routes() if protected]


def test_only_the_public_routes_skip_authentication() -> None:
    public = {(method, path) for method, path, protected in _api_routes() if not protected}

    assert public == PUBLIC_ROUTES
    assert len(PROTECTED) >= 9


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
async def test_protected_routes_refuse_requests_without_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    url = re.sub(r"\{[^}]+\}", "1", path)

    response = await client.request(method, url, json={})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
async def test_protected_routes_refuse_an_expired_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    url = re.sub(r"\{[^}]+\}", "1", path)
    token = create_access_token(1, timedelta(seconds=-1))

    response = await client.request(
        method, url, json={}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
