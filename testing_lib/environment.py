"""The test environment a target's tests run under (see the `setup_test_environment` fixture).

`TestEnvironment` computes the variables from a `TestConfiguration`, applies them to a
mapping (normally `os.environ`) and restores the originals afterwards. Secrets are never
hard-coded: a JWT secret that is not configured is generated once per process.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from testing_lib.config.testing import TestConfiguration


logger = logging.getLogger(__name__)

TEST_ENV_VARS: Final[tuple[str, ...]] = (
    "TESTING",
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SECRET",
    "FDA_API_KEY",
)

MIN_SECRET_BYTES: Final = 32


@lru_cache(maxsize=1)
def session_secret() -> str:
    """A random JWT secret for this test session (64 url-safe characters, 48 random bytes)."""
    return secrets.token_urlsafe(48)


@lru_cache(maxsize=1)
def session_fda_api_key() -> str:
    return f"test-{secrets.token_hex(12)}"


def test_environment_values(config: TestConfiguration) -> dict[str, str]:
    """The variables the target's tests see, derived from its configuration."""
    jwt = config.auth.jwt_secret.get_secret_value() if config.auth.jwt_secret else session_secret()
    fda = (
        config.services.fda_api_key.get_secret_value()
        if config.services.fda_api_key
        else session_fda_api_key()
    )
    return {
        "TESTING": "true",
        "DATABASE_URL": config.database.url,
        "REDIS_URL": config.services.redis_url,
        "JWT_SECRET": jwt,
        "FDA_API_KEY": fda,
    }


test_environment_values.__test__ = False  # type: ignore[attr-defined]


class TestEnvironment:
    """Apply the test variables and put the originals back, exactly, afterwards."""

    __test__ = False

    def __init__(
        self, config: TestConfiguration, environ: MutableMapping[str, str] | None = None
    ) -> None:
        self.values = test_environment_values(config)
        self._environ: MutableMapping[str, str] = os.environ if environ is None else environ
        self._saved: dict[str, str | None] | None = None

    @property
    def active(self) -> bool:
        return self._saved is not None

    def apply(self) -> None:
        if self._saved is not None:
            return
        self._saved = {key: self._environ.get(key) for key in self.values}
        self._environ.update(self.values)
        logger.debug("test environment applied: %s", ", ".join(sorted(self.values)))

    def restore(self) -> None:
        if self._saved is None:
            return
        for key, original in self._saved.items():
            if original is None:
                self._environ.pop(key, None)
            else:
                self._environ[key] = original
        self._saved = None

    @contextmanager
    def applied(self) -> Iterator[TestEnvironment]:
        self.apply()
        try:
            yield self
        finally:
            self.restore()
