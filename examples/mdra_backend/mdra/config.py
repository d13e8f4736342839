"""Settings read from the environment, lazily and once per process (see ``get_settings``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./mdra.db"
DEFAULT_FDA_BASE_URL = "https://api.fda.gov"
MIN_JWT_SECRET_BYTES = 32  # PyJWT warns about shorter HMAC keys
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigurationError(RuntimeError):
    """Raised when the environment does not describe a usable configuration."""


def _parse_bool(name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be a boolean (true/false), got {raw!r}")


def _parse_number(
    name: str, raw: str | None, default: float, kind: type[float] | type[int]
) -> float:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a {kind.__name__}, got {raw!r}") from exc
    if value < 0:
        raise ConfigurationError(f"{name} must not be negative, got {raw!r}")
    return value


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The database URL alone: migrations need it without the rest (e.g. JWT_SECRET)."""
    env = os.environ if environ is None else environ
    return env.get("DATABASE_URL") or DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class Settings:
    jwt_secret: str
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = ""
    jwt_algorithm: str = "HS256"
    access_token_expire_minutes: int = 30
    fda_api_key: str | None = None
    fda_base_url: str = DEFAULT_FDA_BASE_URL
    fda_timeout_s: float = 10.0
    fda_max_attempts: int = 3
    fda_backoff_base_s: float = 0.5
    cache_ttl_s: int = 3600
    password_hash_iterations: int = 600_000
    testing: bool = False

    @property
    def redis_enabled(self) -> bool:
        return bool(self.redis_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        secret = env.get("JWT_SECRET", "")
        if not secret:
            raise ConfigurationError(
                "JWT_SECRET is not set: it is required (no default) and signs every access token"
            )
        if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise ConfigurationError(
                f"JWT_SECRET is too short: use at least {MIN_JWT_SECRET_BYTES} bytes"
            )
        algorithm = env.get("JWT_ALGORITHM") or "HS256"
        if not algorithm.startswith("HS"):
            raise ConfigurationError(f"JWT_ALGORITHM must be an HMAC algorithm, got {algorithm!r}")
        testing = _parse_bool("TESTING", env.get("TESTING"), False)
        # Tests hash many passwords; production keeps OWASP's PBKDF2-SHA256 recommendation.
        default_iterations = 1_000 if testing else 600_000
        max_attempts = int(_parse_number("FDA_MAX_ATTEMPTS", env.get("FDA_MAX_ATTEMPTS"), 3, int))
        if max_attempts < 1:
            raise ConfigurationError("FDA_MAX_ATTEMPTS must be at least 1")
        iterations = int(
            _parse_number(
                "PASSWORD_HASH_ITERATIONS",
                env.get("PASSWORD_HASH_ITERATIONS"),
                default_iterations,
                int,
            )
        )
        if iterations < 1:
            raise ConfigurationError("PASSWORD_HASH_ITERATIONS must be at least 1")
        return cls(
            jwt_secret=secret,
            database_url=database_url_from_env(env),
            redis_url=env.get("REDIS_URL", ""),
            jwt_algorithm=algorithm,
            access_token_expire_minutes=int(
                _parse_number(
                    "ACCESS_TOKEN_EXPIRE_MINUTES", env.get("ACCESS_TOKEN_EXPIRE_MINUTES"), 30, int
                )
            ),
            fda_api_key=env.get("FDA_API_KEY") or None,
            fda_base_url=(env.get("FDA_BASE_URL") or DEFAULT_FDA_BASE_URL).rstrip("/"),
            fda_timeout_s=float(
                _parse_number("FDA_TIMEOUT_S", env.get("FDA_TIMEOUT_S"), 10.0, float)
            ),
            fda_max_attempts=max_attempts,
            fda_backoff_base_s=float(
                _parse_number("FDA_BACKOFF_BASE_S", env.get("FDA_BACKOFF_BASE_S"), 0.5, float)
            ),
            cache_ttl_s=int(_parse_number("CACHE_TTL_S", env.get("CACHE_TTL_S"), 3600, int)),
            password_hash_iterations=iterations,
            testing=testing,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the current environment, cached; ``get_settings.cache_clear()`` re-reads."""
    return Settings.from_env()
