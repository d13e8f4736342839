"""pytest fixtures for HTTP tests of the app under test, registered by the plugin.

The app comes from `[tool.remediation] app = "package.module:app"` (override the
`remediation_app` fixture to build it differently). Every client fixture first sets up
`dependency_container`, so the app's per-test overrides (`remediation_dependency_overrides`)
are in place before its lifespan starts, and are undone after the test.

PYTEST_DONT_REWRITE: loaded through `pytest_plugins` of testing_lib.plugin, possibly after
an import elsewhere in the library; it holds no test assertions to rewrite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from testing_lib.project_settings import project_settings

if TYPE_CHECKING:  # imported where used: pytest loads this plugin in every run of the venv
    from starlette.testclient import TestClient

    from testing_lib.auth.tokens import AuthTestFixtures
    from testing_lib.di.container import TestDependencyContainer
    from testing_lib.http.client import AppClient, TestClientFactory


@pytest.fixture(scope="session")
def remediation_app(pytestconfig: pytest.Config) -> Any:
    """The app under test, imported once per session from `[tool.remediation] app`."""
    from testing_lib.di.watch import watch_app
    from testing_lib.http.app_loader import AppImportError, load_app

    settings = project_settings(pytestconfig)
    if settings.app is None:
        pytest.fail(
            f'no app to test: add app = "package.module:app" to {settings.where("")} (the '
            "FastAPI/ASGI application), or override the `remediation_app` fixture in conftest.py",
            pytrace=False,
        )
    try:
        app = load_app(settings.app, where=settings.where("app"))
    except AppImportError as exc:
        pytest.fail(str(exc), pytrace=False)
    watch_app(app, label=settings.app)
    return app


@pytest.fixture
def remediation_test_user() -> dict[str, Any]:
    """The user `authenticated_client` signs a token for; override it to use a real user
    (e.g. one created in the test database: {"id": user.id, "email": user.email})."""
    from testing_lib.auth.tokens import DEFAULT_USER

    return dict(DEFAULT_USER)


@pytest.fixture
def remediation_admin_user() -> dict[str, Any]:
    """The user `admin_client` signs a token for (plus `admin_claims`); override as above."""
    from testing_lib.auth.tokens import DEFAULT_ADMIN

    return dict(DEFAULT_ADMIN)


@pytest.fixture
def client_factory(
    pytestconfig: pytest.Config,
    remediation_app: Any,
    dependency_container: TestDependencyContainer,
    auth_fixtures: AuthTestFixtures,
) -> TestClientFactory:
    """A `TestClientFactory` for the app under test, configured from TestHTTPConfig."""
    from testing_lib.http.client import TestClientFactory

    http = project_settings(pytestconfig).testing.http
    return TestClientFactory(remediation_app, http_config=http, auth=auth_fixtures)


@pytest_asyncio.fixture
async def async_client(client_factory: TestClientFactory) -> AsyncIterator[AppClient]:
    """An `httpx.AsyncClient` calling the app in-process, its lifespan running."""
    async with client_factory.create_client() as client:
        yield client


@pytest_asyncio.fixture
async def authenticated_client(
    client_factory: TestClientFactory, remediation_test_user: dict[str, Any]
) -> AsyncIterator[AppClient]:
    """`async_client` with a valid bearer token for `remediation_test_user`."""
    async with client_factory.create_authenticated_client(remediation_test_user) as client:
        yield client


@pytest_asyncio.fixture
async def admin_client(
    client_factory: TestClientFactory, remediation_admin_user: dict[str, Any]
) -> AsyncIterator[AppClient]:
    """`async_client` with an admin token for `remediation_admin_user`."""
    async with client_factory.create_admin_client(remediation_admin_user) as client:
        yield client


@pytest.fixture
def test_client(
    pytestconfig: pytest.Config, client_factory: TestClientFactory
) -> Iterator[TestClient]:
    """starlette's sync `TestClient` for the app, its lifespan running (sync suites)."""
    settings = project_settings(pytestconfig)
    if not settings.testing.http.use_test_client:
        pytest.fail(
            f"{settings.where('testing.http')} use_test_client = false: this project tests "
            "through the async client; use the `async_client` fixture",
            pytrace=False,
        )
    with client_factory.create_sync_client() as client:
        yield client
