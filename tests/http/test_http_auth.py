"""AuthTestFixtures: where the secret comes from, and each token variant as PyJWT sees it."""

from __future__ import annotations

import jwt
import pytest
from pydantic import SecretStr

from testing_lib.auth import AuthTestFixtures
from testing_lib.config.testing import TestAuthConfig
from testing_lib.environment import session_secret
from testing_lib.exceptions import AuthenticationTestError

CONFIGURED = "c" * 40
FROM_ENV = "e" * 40


def test_the_configured_secret_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", FROM_ENV)
    auth = AuthTestFixtures.from_config(TestAuthConfig(jwt_secret=SecretStr(CONFIGURED)))

    claims = jwt.decode(auth.create_test_token(), CONFIGURED, algorithms=["HS256"])

    assert claims["sub"] == "test_user"


def test_without_configuration_the_environment_secret_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JWT_SECRET", FROM_ENV)

    assert AuthTestFixtures().jwt_secret == FROM_ENV


def test_without_any_secret_one_is_generated_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)

    auth = AuthTestFixtures()

    assert auth.jwt_secret == session_secret()
    assert len(auth.jwt_secret.encode()) >= 32
    assert auth.jwt_secret not in repr(auth)


def test_a_short_secret_is_refused_naming_the_setting() -> None:
    with pytest.raises(AuthenticationTestError, match=r"testing\.auth\] jwt_secret"):
        AuthTestFixtures("short")


def test_claims_carry_the_user_extra_and_configured_claims() -> None:
    auth = AuthTestFixtures(CONFIGURED, extra_claims={"type": "access"})

    token = auth.create_test_token(
        {"id": 42, "email": "a@example.com", "extra_claims": {"scope": "read"}}
    )
    claims = auth.decode(token)

    assert (claims["sub"], claims["email"], claims["type"], claims["scope"]) == (
        "42",
        "a@example.com",
        "access",
        "read",
    )
    assert claims["exp"] - claims["iat"] == 3600


def test_admin_headers_add_the_admin_claims() -> None:
    auth = AuthTestFixtures(CONFIGURED, admin_claims={"role": "admin", "is_admin": True})

    token = auth.create_admin_headers()["Authorization"].removeprefix("Bearer ")

    assert auth.decode(token)["is_admin"] is True
    assert auth.decode(token)["role"] == "admin"


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda a: a.create_expired_token(), jwt.ExpiredSignatureError),
        (lambda a: a.create_wrong_key_token(), jwt.InvalidSignatureError),
        (lambda a: a.create_token_missing_claim("sub"), jwt.MissingRequiredClaimError),
        (lambda a: a.create_token_missing_claim("exp"), jwt.MissingRequiredClaimError),
        (lambda a: a.create_malformed_token("garbage"), jwt.DecodeError),
        (lambda a: a.create_malformed_token("segments"), jwt.DecodeError),
        (lambda a: a.create_malformed_token("bad_base64"), jwt.DecodeError),
        (lambda a: a.create_malformed_token("alg_none"), jwt.InvalidAlgorithmError),
    ],
    ids=["expired", "wrong-key", "no-sub", "no-exp", "garbage", "segments", "base64", "alg-none"],
)
def test_each_invalid_variant_fails_verification_for_its_own_reason(
    make: object, error: type[Exception]
) -> None:
    auth = AuthTestFixtures(CONFIGURED)

    with pytest.raises(error):
        auth.decode(make(auth))  # type: ignore[operator]


def test_the_variants_for_parametrize_cover_no_token_and_every_kind() -> None:
    variants = AuthTestFixtures(CONFIGURED).invalid_auth_variants()

    assert variants["no_token"] == {}
    assert set(variants) >= {"expired", "wrong_key", "missing_sub", "malformed_alg_none"}
    assert all(v["Authorization"].startswith("Bearer ") for k, v in variants.items() if v)


def test_leaving_out_a_claim_the_token_does_not_have_names_the_claims() -> None:
    with pytest.raises(ValueError, match="has no 'tenant' claim"):
        AuthTestFixtures(CONFIGURED).create_token_missing_claim("tenant")


def test_the_mock_user_has_only_the_attributes_it_was_given() -> None:
    user = AuthTestFixtures(CONFIGURED).mock_current_user({"id": 3, "is_admin": False})

    assert (user.id, user.is_admin) == (3, False)
    with pytest.raises(AttributeError):
        _ = user.email


def test_mocking_the_dependency_without_a_container_names_the_fix() -> None:
    with pytest.raises(AuthenticationTestError, match="use the auth_fixtures fixture"):
        AuthTestFixtures(CONFIGURED).mock_current_user(dependency=lambda: None)
