"""`AuthTestFixtures`: JWTs for tests, valid and every kind of invalid, on PyJWT.

No secret is written down anywhere: the signing key is `TestAuthConfig.jwt_secret` when
configured, else the `JWT_SECRET` environment variable (which the plugin sets for the app
under test), else a random key generated once per test session.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Final, Literal

import jwt

from testing_lib.config.testing import TestAuthConfig
from testing_lib.environment import MIN_SECRET_BYTES, session_secret
from testing_lib.exceptions import AuthenticationTestError

if TYPE_CHECKING:
    from typing import TypeAlias

    from testing_lib.di.container import TestDependencyContainer

    # A container, or a callable giving one when first needed (the fixture resolves it
    # lazily, so projects without an app can still make tokens).
    ContainerSource: TypeAlias = TestDependencyContainer | Callable[[], TestDependencyContainer]

DEFAULT_USER: Final[Mapping[str, Any]] = {
    "id": "test_user",
    "email": "test@example.com",
    "name": "Test User",
}
DEFAULT_ADMIN: Final[Mapping[str, Any]] = {
    "id": "admin_user",
    "email": "admin@example.com",
    "name": "Admin User",
    "role": "admin",
}
MalformedKind = Literal["garbage", "segments", "bad_base64", "alg_none"]
MALFORMED_KINDS: Final[tuple[MalformedKind, ...]] = (
    "garbage",
    "segments",
    "bad_base64",
    "alg_none",
)
_USER_CLAIMS: Final = ("email", "name", "role")


class MockUser(SimpleNamespace):
    """A stand-in for the app's user object: only the attributes it was given exist."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class AuthTestFixtures:
    """Authentication fixtures for testing: tokens, headers and a mocked current user."""

    __test__ = False

    def __init__(
        self,
        jwt_secret: str | None = None,
        *,
        algorithm: str = "HS256",
        token_expiry: timedelta = timedelta(hours=1),
        extra_claims: Mapping[str, Any] | None = None,
        admin_claims: Mapping[str, Any] | None = None,
        container: ContainerSource | None = None,
    ) -> None:
        secret = jwt_secret or os.environ.get("JWT_SECRET") or session_secret()
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise AuthenticationTestError(
                "jwt",
                f"the signing key is shorter than {MIN_SECRET_BYTES} bytes (PyJWT warns, real "
                "apps refuse it): lengthen [tool.remediation.testing.auth] jwt_secret or "
                "JWT_SECRET, or remove both to generate one per session",
            )
        if not algorithm.upper().startswith("HS"):
            raise AuthenticationTestError(
                "jwt",
                f"algorithm {algorithm!r} is not HMAC: AuthTestFixtures signs with a shared "
                "secret; set [tool.remediation.testing.auth] jwt_algorithm to HS256/384/512",
            )
        self._secret = secret
        self.jwt_algorithm = algorithm
        self.token_expiry = token_expiry
        self.extra_claims = dict(extra_claims or {})
        self.admin_claims = dict(admin_claims if admin_claims is not None else {"role": "admin"})
        self.container = container

    @classmethod
    def from_config(
        cls,
        config: TestAuthConfig,
        *,
        container: ContainerSource | None = None,
    ) -> AuthTestFixtures:
        return cls(
            config.jwt_secret.get_secret_value() if config.jwt_secret else None,
            algorithm=config.jwt_algorithm,
            token_expiry=timedelta(hours=config.token_expiry_hours),
            extra_claims=config.extra_claims,
            admin_claims=config.admin_claims,
            container=container,
        )

    def __repr__(self) -> str:  # never show the secret
        return f"AuthTestFixtures(algorithm={self.jwt_algorithm!r}, secret=<hidden>)"

    @property
    def jwt_secret(self) -> str:
        return self._secret

    # --- valid tokens --------------------------------------------------------------------

    def claims_for(
        self,
        user_data: Mapping[str, Any] | None = None,
        *,
        expires_in: timedelta | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The claims of a token for `user_data` (keys: id, email, name, role, extra_claims)."""
        data = dict(DEFAULT_USER if user_data is None else user_data)
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": str(data.get("id", DEFAULT_USER["id"])),
            "iat": issued,
            "exp": issued + (self.token_expiry if expires_in is None else expires_in),
        }
        for key in _USER_CLAIMS:
            if key in data:
                claims[key] = data[key]
        claims.update(self.extra_claims)
        claims.update(data.get("extra_claims") or {})
        return claims

    def encode(self, claims: Mapping[str, Any], *, key: str | None = None) -> str:
        return jwt.encode(dict(claims), key or self._secret, algorithm=self.jwt_algorithm)

    def create_test_token(
        self, user_data: Mapping[str, Any] | None = None, *, expires_in: timedelta | None = None
    ) -> str:
        """A valid, signed test JWT for `user_data`."""
        return self.encode(self.claims_for(user_data, expires_in=expires_in))

    def create_auth_headers(self, user_data: Mapping[str, Any] | None = None) -> dict[str, str]:
        return _bearer(self.create_test_token(user_data))

    def admin_user_data(self, user_data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = dict(DEFAULT_ADMIN if user_data is None else user_data)
        data["extra_claims"] = {**self.admin_claims, **(data.get("extra_claims") or {})}
        return data

    def create_admin_headers(self, user_data: Mapping[str, Any] | None = None) -> dict[str, str]:
        return self.create_auth_headers(self.admin_user_data(user_data))

    def decode(self, token: str, *, require: tuple[str, ...] = ("exp", "iat", "sub")) -> Any:
        """Verified claims; raises `jwt.InvalidTokenError` (a subclass says why)."""
        return jwt.decode(
            token, self._secret, algorithms=[self.jwt_algorithm], options={"require": list(require)}
        )

    # --- invalid tokens ------------------------------------------------------------------

    def create_expired_token(
        self,
        user_data: Mapping[str, Any] | None = None,
        *,
        expired_for: timedelta = timedelta(minutes=5),
    ) -> str:
        """Correctly signed, but its `exp` passed `expired_for` ago."""
        issued = datetime.now(UTC) - self.token_expiry - expired_for
        return self.encode(self.claims_for(user_data, now=issued))

    def create_wrong_key_token(self, user_data: Mapping[str, Any] | None = None) -> str:
        """Valid claims signed with a random key the app does not know."""
        return self.encode(self.claims_for(user_data), key=secrets.token_urlsafe(48))

    def create_token_missing_claim(
        self, claim: str, user_data: Mapping[str, Any] | None = None
    ) -> str:
        """Correctly signed, without `claim` (e.g. "sub", "exp")."""
        claims = self.claims_for(user_data)
        if claim not in claims:
            raise ValueError(
                f"a test token has no {claim!r} claim to leave out; it has {sorted(claims)}"
            )
        del claims[claim]
        return self.encode(claims)

    def create_malformed_token(self, kind: MalformedKind = "garbage") -> str:
        """Not a usable JWT: `garbage`, two `segments`, `bad_base64`, or unsigned `alg_none`."""
        if kind == "garbage":
            return "not-a-jwt"
        if kind == "segments":
            return self.create_test_token().rsplit(".", 1)[0]
        if kind == "bad_base64":
            return "ey.ey.ey"
        if kind == "alg_none":
            claims = self.claims_for(None)
            payload = {
                key: int(value.timestamp()) if isinstance(value, datetime) else value
                for key, value in claims.items()
            }
            header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            return f"{header}.{_b64(json.dumps(payload).encode())}."
        raise ValueError(f"unknown malformed kind {kind!r}; use one of {MALFORMED_KINDS}")

    # --- headers for the invalid variants --------------------------------------------------

    def create_unauthenticated_headers(self) -> dict[str, str]:
        """No credentials at all."""
        return {}

    def create_invalid_token_headers(self) -> dict[str, str]:
        return _bearer(self.create_malformed_token("garbage"))

    def expired_headers(self, user_data: Mapping[str, Any] | None = None) -> dict[str, str]:
        return _bearer(self.create_expired_token(user_data))

    def wrong_key_headers(self, user_data: Mapping[str, Any] | None = None) -> dict[str, str]:
        return _bearer(self.create_wrong_key_token(user_data))

    def missing_claim_headers(
        self, claim: str, user_data: Mapping[str, Any] | None = None
    ) -> dict[str, str]:
        return _bearer(self.create_token_missing_claim(claim, user_data))

    def malformed_headers(self, kind: MalformedKind = "garbage") -> dict[str, str]:
        return _bearer(self.create_malformed_token(kind))

    def invalid_auth_variants(
        self, user_data: Mapping[str, Any] | None = None
    ) -> dict[str, dict[str, str]]:
        """name -> headers for every way a request can lack a valid token (for parametrize)."""
        variants = {
            "no_token": self.create_unauthenticated_headers(),
            "expired": self.expired_headers(user_data),
            "wrong_key": self.wrong_key_headers(user_data),
            "missing_sub": self.missing_claim_headers("sub", user_data),
            "missing_exp": self.missing_claim_headers("exp", user_data),
        }
        for kind in MALFORMED_KINDS:
            variants[f"malformed_{kind}"] = self.malformed_headers(kind)
        return variants

    # --- the current user ------------------------------------------------------------------

    def mock_current_user(
        self, user_data: Mapping[str, Any] | None = None, *, dependency: Any = None
    ) -> MockUser:
        """A stand-in user; with `dependency` (e.g. `get_current_user`), the app's dependency
        returns it for the rest of the test (through the bound dependency container)."""
        data = dict(DEFAULT_USER if user_data is None else user_data)
        data.pop("extra_claims", None)
        user = MockUser(**data)
        if dependency is not None:
            if self.container is None:
                raise AuthenticationTestError(
                    "current user",
                    "mock_current_user(dependency=...) needs a dependency container to undo "
                    "the override: use the auth_fixtures fixture, or "
                    "AuthTestFixtures(container=TestDependencyContainer(app))",
                )

            async def current_user() -> MockUser:
                return user

            container = self.container() if callable(self.container) else self.container
            container.override(dependency, current_user)
        return user


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
