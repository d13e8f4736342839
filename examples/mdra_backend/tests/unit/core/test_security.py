from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from mdra.config import Settings
from mdra.security import (
    HASH_SCHEME,
    TokenError,
    create_access_token,
    decode_access_token,
    hash_password,
    verify_password,
)


def test_password_hash_verifies_the_original_password() -> None:
    encoded = hash_password("s3cret-passphrase")

    assert verify_password("s3cret-passphrase", encoded)


def test_wrong_password_does_not_verify() -> None:
    encoded = hash_password("s3cret-passphrase")

    assert not verify_password("s3cret-passphrasE", encoded)


def test_same_password_hashes_differently_each_time_because_of_the_salt() -> None:
    first, second = hash_password("same"), hash_password("same")

    assert first != second
    assert verify_password("same", first)
    assert verify_password("same", second)


def test_hash_records_scheme_and_iteration_count(settings: Settings) -> None:
    scheme, iterations, salt, digest = hash_password("pw").split("$")

    assert scheme == HASH_SCHEME
    assert int(iterations) == settings.password_hash_iterations
    assert salt
    assert digest
    assert hash_password("pw", iterations=7).split("$")[1] == "7"


@pytest.mark.parametrize(
    "encoded",
    ["", "plain-text", "md5$1$c2FsdA$ZGlnZXN0", "pbkdf2_sha256$many$c2FsdA$ZGln", "a$b$c"],
)
def test_malformed_hashes_never_verify(encoded: str) -> None:
    assert verify_password("anything", encoded) is False


def test_access_token_carries_subject_type_and_lifetime(settings: Settings) -> None:
    token = create_access_token(42, timedelta(minutes=5))

    claims = decode_access_token(token)

    assert claims["sub"] == "42"
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 300
    header = jwt.get_unverified_header(token)
    assert header["alg"] == settings.jwt_algorithm


def test_default_lifetime_comes_from_settings(settings: Settings) -> None:
    claims = decode_access_token(create_access_token("7"))

    assert claims["exp"] - claims["iat"] == settings.access_token_expire_minutes * 60


def test_extra_claims_are_added_but_cannot_override_reserved_ones() -> None:
    claims = decode_access_token(create_access_token(1, extra_claims={"admin": True}))
    assert claims["admin"] is True

    with pytest.raises(ValueError, match="sub"):
        create_access_token(1, extra_claims={"sub": "someone-else"})


def test_expired_token_is_refused_by_decode() -> None:
    token = create_access_token(1, timedelta(seconds=-1))

    with pytest.raises(TokenError, match="expired"):
        decode_access_token(token)


def test_token_signed_with_another_key_is_refused(settings: Settings) -> None:
    foreign = replace(settings, jwt_secret=secrets.token_urlsafe(48))
    token = create_access_token(1, settings=foreign)

    with pytest.raises(TokenError, match="signature"):
        decode_access_token(token)


def test_token_without_subject_is_refused(settings: Settings) -> None:
    now = datetime.now(UTC)
    token = jwt.encode(
        {"iat": now, "exp": now + timedelta(minutes=1), "type": "access"},
        settings.jwt_secret,
        algorithm=settings.jwt_algorithm,
    )

    with pytest.raises(TokenError, match="'sub'"):
        decode_access_token(token)


def test_token_of_another_type_is_refused(settings: Settings) -> None:
    now = datetime.now(UTC)
    token = jwt.encode(
        {"sub": "1", "iat": now, "exp": now + timedelta(minutes=1), "type": "refresh"},
        settings.jwt_secret,
        algorithm=settings.jwt_algorithm,
    )

    with pytest.raises(TokenError, match="not an access token"):
        decode_access_token(token)


def test_unsigned_alg_none_token_is_refused() -> None:
    now = datetime.now(UTC)
    token = jwt.encode(
        {"sub": "1", "iat": now, "exp": now + timedelta(minutes=1), "type": "access"},
        key=None,
        algorithm="none",
    )

    with pytest.raises(TokenError):
        decode_access_token(token)
