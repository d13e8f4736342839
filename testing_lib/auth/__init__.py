"""Authentication testing: signed test JWTs, their invalid variants, a mocked current user.

The names below are imported on first use (see `testing_lib.lazy_exports`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from testing_lib.auth.tokens import (
        DEFAULT_ADMIN,
        DEFAULT_USER,
        MALFORMED_KINDS,
        AuthTestFixtures,
        MockUser,
    )

__getattr__ = lazy_getattr(
    __name__,
    {
        "DEFAULT_ADMIN": "tokens",
        "DEFAULT_USER": "tokens",
        "MALFORMED_KINDS": "tokens",
        "AuthTestFixtures": "tokens",
        "MockUser": "tokens",
    },
)

__all__ = ["DEFAULT_ADMIN", "DEFAULT_USER", "MALFORMED_KINDS", "AuthTestFixtures", "MockUser"]
