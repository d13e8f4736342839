"""`MockServiceFactory`: the external services of a test, mocked and cleaned up.

- openFDA: `OpenFDAMock`, at the HTTP layer with respx (the app's real httpx code runs);
- Redis: `fakeredis.FakeAsyncRedis` on its own fake server (nothing shared between tests);
- the auth service: a `Mock` with real token behaviour.

`close()` stops every mock the factory started, newest first; the `mock_services` fixture
calls it after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from unittest.mock import Mock

import fakeredis

from testing_lib.auth.tokens import AuthTestFixtures
from testing_lib.mocks.auth_service import create_mock_auth_service
from testing_lib.mocks.openfda import DEFAULT_BASE_URL, OpenFDAMock


class MockServiceFactory:
    """Factory for creating mock services."""

    def __init__(
        self, *, fda_base_url: str = DEFAULT_BASE_URL, auth: AuthTestFixtures | None = None
    ) -> None:
        self.fda_base_url = fda_base_url
        self.auth = auth
        self._cleanups: list[Callable[[], None]] = []

    def create_mock_openfda_service(
        self,
        *,
        base_url: str | None = None,
        clearances: Iterable[dict[str, Any]] | None = None,
        classifications: Iterable[dict[str, Any]] | None = None,
        start: bool = True,
    ) -> OpenFDAMock:
        """An openFDA mock (started unless `start=False`); stopped by `close()`."""
        mock = OpenFDAMock(
            base_url=base_url or self.fda_base_url,
            clearances=clearances,
            classifications=classifications,
        )
        if start:
            mock.start()
        self._cleanups.append(mock.stop)
        return mock

    def create_mock_redis_client(
        self, *, decode_responses: bool = True
    ) -> fakeredis.FakeAsyncRedis:
        """A fresh async Redis double with its own (empty) fake server."""
        return fakeredis.FakeAsyncRedis(
            server=fakeredis.FakeServer(), decode_responses=decode_responses
        )

    def create_mock_auth_service(self, user_data: Mapping[str, Any] | None = None) -> Mock:
        return create_mock_auth_service(user_data, auth=self.auth)

    def close(self) -> None:
        """Stop every mock this factory started, newest first."""
        while self._cleanups:
            self._cleanups.pop()()
