"""Every route but a short public list refuses requests without a valid token.

The routes come from the app's OpenAPI schema; each protected one is called with every
invalid-token variant of the library's ``auth_fixtures`` (no token, expired, wrong key,
missing claims, malformed). A test with a mocked current user shows the override route.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from testing_lib.auth import AuthTestFixtures
from testing_lib.http import APITestUtils

from mdra.main import create_app
from mdra.security import get_current_user

PUBLIC_ROUTES = {("GET", "/health"), ("POST", "/auth/register"), ("POST", "/auth/token")}
# Missing claims and the other malformed kinds are covered per kind in test_jwt_validation.
INVALID_VARIANTS = ("no_token", "expired", "wrong_key", "malformed_alg_none")


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


@pytest.mark.parametrize("variant", INVALID_VARIANTS)
@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
async def test_protected_routes_refuse_requests_without_a_valid_token(
    async_client: httpx.AsyncClient,
    auth_fixtures: AuthTestFixtures,
    method: str,
    path: str,
    variant: str,
) -> None:
    url = re.sub(r"\{[^}]+\}", "1", path)
    headers = auth_fixtures.invalid_auth_variants({"id": 1})[variant]

    response = await async_client.request(method, url, json={}, headers=headers)

    APITestUtils.assert_error_response(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_mocked_current_user_reaches_a_protected_route_without_a_token(
    async_client: httpx.AsyncClient, auth_fixtures: AuthTestFixtures, remediation_app: FastAPI
) -> None:
    auth_fixtures.mock_current_user(
        {
            "id": 7,
            "email": "mock@example.com",
            "full_name": "Mock",
            "is_admin": False,
            "is_active": True,
            "created_at": "2024-01-01T00:00:00Z",
        },
        dependency=get_current_user,
    )

    response = await async_client.get("/auth/me")

    me = APITestUtils.assert_success_response(response)
    assert (me["id"], me["email"]) == (7, "mock@example.com")
    assert get_current_user in remediation_app.dependency_overrides  # undone after the test
