"""Authentication testing: signed test JWTs, their invalid variants, a mocked current user."""

from testing_lib.auth.tokens import (
    DEFAULT_ADMIN,
    DEFAULT_USER,
    MALFORMED_KINDS,
    AuthTestFixtures,
    MockUser,
)

__all__ = ["DEFAULT_ADMIN", "DEFAULT_USER", "MALFORMED_KINDS", "AuthTestFixtures", "MockUser"]
