"""pytest fixtures for external services, registered by the plugin.

`remediation_network_guard` is autouse for projects with a `[tool.remediation]` table and
`[tool.remediation.testing.services] mock_external_services = true` (the default): an
un-mocked outbound request fails the test and names the URL.

PYTEST_DONT_REWRITE: loaded through `pytest_plugins` of testing_lib.plugin, possibly after
an import elsewhere in the library; it holds no test assertions to rewrite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from testing_lib.project_settings import project_settings

if TYPE_CHECKING:  # imported where used: pytest loads this plugin in every run of the venv
    from unittest.mock import Mock

    import fakeredis

    from testing_lib.auth.tokens import AuthTestFixtures
    from testing_lib.mocks.network import NetworkGuard
    from testing_lib.mocks.openfda import OpenFDAMock
    from testing_lib.mocks.service_factory import MockServiceFactory

_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(autouse=True)
def remediation_network_guard(request: pytest.FixtureRequest) -> Iterator[NetworkGuard | None]:
    """Refuse non-loopback traffic (None when the project has not opted in).

    A test that swallowed the refusal and passed still fails here, naming the URLs; a test
    that expects a refusal can clear `remediation_network_guard.blocked`. (Its own
    MonkeyPatch, made only when the guard is on: every test runs this fixture.)
    """
    settings = project_settings(request.config)
    if not (settings.active and settings.testing.services.mock_external_services):
        yield None
        return
    from testing_lib.mocks.network import NetworkGuard

    with pytest.MonkeyPatch.context() as monkeypatch:
        guard = NetworkGuard()
        guard.install(monkeypatch)
        yield guard
    if guard.blocked and not request.node.stash.get(_CALL_FAILED, False):
        pytest.fail(
            "the test reached for the network (mock it with respx or mock_openfda_service): "
            + "; ".join(guard.blocked),
            pytrace=False,
        )


@pytest.fixture
def mock_services(
    pytestconfig: pytest.Config, auth_fixtures: AuthTestFixtures
) -> Iterator[MockServiceFactory]:
    """A `MockServiceFactory`; every mock it starts is stopped after the test."""
    from testing_lib.mocks.service_factory import MockServiceFactory

    services = project_settings(pytestconfig).testing.services
    factory = MockServiceFactory(fda_base_url=services.fda_base_url, auth=auth_fixtures)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def mock_openfda_service(
    pytestconfig: pytest.Config, mock_services: MockServiceFactory
) -> OpenFDAMock:
    """openFDA answered by respx from a realistic data set, for this test only."""
    settings = project_settings(pytestconfig)
    if not settings.testing.services.mock_fda_api:
        pytest.fail(
            f"{settings.where('testing.services')} mock_fda_api = false, but the test asks for "
            "mock_openfda_service: set it to true, or do not request the mock",
            pytrace=False,
        )
    return mock_services.create_mock_openfda_service()


@pytest_asyncio.fixture
async def mock_redis(mock_services: MockServiceFactory) -> AsyncIterator[fakeredis.FakeAsyncRedis]:
    """A fresh `fakeredis.FakeAsyncRedis` (empty, shared with no other test)."""
    redis = mock_services.create_mock_redis_client()
    try:
        yield redis
    finally:
        await redis.aclose()


@pytest.fixture
def mock_auth_service(
    mock_services: MockServiceFactory, remediation_test_user: dict[str, Any]
) -> Mock:
    """A mock auth service for `remediation_test_user`."""
    return mock_services.create_mock_auth_service(remediation_test_user)
