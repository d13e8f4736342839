"""A mock authentication service, with real token behaviour behind its spies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from unittest.mock import AsyncMock, Mock

import jwt

from testing_lib.auth.tokens import DEFAULT_USER, AuthTestFixtures


def create_mock_auth_service(
    user_data: Mapping[str, Any] | None = None, *, auth: AuthTestFixtures | None = None
) -> Mock:
    """A `Mock` auth service: `get_current_user()` (async) returns `user_data`,
    `verify_token(token)` (async) is True only for a token `auth` signed and not expired,
    `create_token(data=None)` signs a real test JWT. All three record their calls."""
    tokens = auth or AuthTestFixtures()
    user = dict(DEFAULT_USER if user_data is None else user_data)

    async def verify(token: str) -> bool:
        try:
            tokens.decode(token)
        except jwt.InvalidTokenError:
            return False
        return True

    def create(data: Mapping[str, Any] | None = None) -> str:
        return tokens.create_test_token(user if data is None else data)

    service = Mock(name="auth_service")
    service.get_current_user = AsyncMock(return_value=user)
    service.verify_token = AsyncMock(side_effect=verify)
    service.create_token = Mock(side_effect=create)
    return service
