from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from mdra.config import (
    DEFAULT_DATABASE_URL,
    ConfigurationError,
    Settings,
    database_url_from_env,
    get_settings,
)


@pytest.fixture
def secret() -> str:
    return secrets.token_urlsafe(48)


def test_missing_jwt_secret_raises_an_error_naming_jwt_secret() -> None:
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        Settings.from_env({"DATABASE_URL": "sqlite+aiosqlite:///:memory:"})


def test_empty_jwt_secret_counts_as_missing() -> None:
    with pytest.raises(ConfigurationError, match="JWT_SECRET is not set"):
        Settings.from_env({"JWT_SECRET": ""})


def test_jwt_secret_shorter_than_32_bytes_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="too short"):
        Settings.from_env({"JWT_SECRET": secrets.token_hex(8)})


def test_defaults_apply_when_only_the_secret_is_set(secret: str) -> None:
    settings = Settings.from_env({"JWT_SECRET": secret})

    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///./mdra.db"
    assert settings.redis_url == ""
    assert settings.redis_enabled is False
    assert settings.jwt_algorithm == "HS256"
    assert settings.fda_api_key is None
    assert settings.fda_base_url == "https://api.fda.gov"
    assert settings.testing is False


def test_values_are_read_from_the_environment(secret: str) -> None:
    settings = Settings.from_env(
        {
            "JWT_SECRET": secret,
            "DATABASE_URL": "sqlite+aiosqlite:///:memory:",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "FDA_API_KEY": "abc",
            "FDA_BASE_URL": "http://127.0.0.1:9000/",
            "FDA_TIMEOUT_S": "2.5",
            "TESTING": "yes",
        }
    )

    assert settings.database_url == "sqlite+aiosqlite:///:memory:"
    assert settings.redis_enabled is True
    assert settings.fda_api_key == "abc"
    assert settings.fda_base_url == "http://127.0.0.1:9000"  # trailing slash dropped
    assert settings.fda_timeout_s == 2.5
    assert settings.testing is True


def test_testing_mode_lowers_the_password_hash_cost(secret: str) -> None:
    production = Settings.from_env({"JWT_SECRET": secret})
    testing = Settings.from_env({"JWT_SECRET": secret, "TESTING": "true"})
    explicit = Settings.from_env(
        {"JWT_SECRET": secret, "TESTING": "true", "PASSWORD_HASH_ITERATIONS": "5000"}
    )

    assert production.password_hash_iterations == 600_000
    assert testing.password_hash_iterations == 1_000
    assert explicit.password_hash_iterations == 5000


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TESTING", "maybe", "TESTING must be a boolean"),
        ("FDA_TIMEOUT_S", "soon", "FDA_TIMEOUT_S must be a float"),
        ("FDA_MAX_ATTEMPTS", "0", "FDA_MAX_ATTEMPTS must be at least 1"),
        ("CACHE_TTL_S", "-5", "CACHE_TTL_S must not be negative"),
        ("JWT_ALGORITHM", "RS256", "HMAC"),
    ],
)
def test_bad_values_are_reported_with_the_variable_name(
    secret: str, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({"JWT_SECRET": secret, name: value})


def test_database_url_can_be_read_without_the_jwt_secret() -> None:
    assert database_url_from_env({}) == DEFAULT_DATABASE_URL
    assert database_url_from_env({"DATABASE_URL": "sqlite:///x.db"}) == "sqlite:///x.db"


def test_get_settings_is_cached_until_cleared(
    reload_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = reload_settings(FDA_API_KEY="first-key")
    monkeypatch.setenv("FDA_API_KEY", "second-key")

    assert get_settings() is first
    assert get_settings().fda_api_key == "first-key"

    get_settings.cache_clear()
    assert get_settings().fda_api_key == "second-key"


def test_get_settings_fails_clearly_when_jwt_secret_is_unset(
    reload_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        reload_settings(JWT_SECRET=None)
