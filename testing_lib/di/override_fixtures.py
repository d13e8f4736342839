"""pytest fixtures for dependency overrides on the app under test, registered by the plugin.

PYTEST_DONT_REWRITE: loaded through `pytest_plugins` of testing_lib.plugin, possibly after
an import elsewhere in the library; it holds no test assertions to rewrite.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from testing_lib.di.container import TestDependencyContainer


@pytest.fixture
def remediation_dependency_overrides() -> Mapping[Any, Any]:
    """`{dependency: replacement}` applied to the app for every test that uses its clients.

    Override this fixture in conftest.py to give the app per-test services, e.g.
    `{get_session: session_override, get_cache: lambda: fake_cache}`; the overrides are
    applied through `dependency_container` and undone after the test.
    """
    return {}


@pytest.fixture
def dependency_container(
    remediation_app: Any, remediation_dependency_overrides: Mapping[Any, Any]
) -> Iterator[TestDependencyContainer]:
    """A `TestDependencyContainer` bound to the app under test; everything it overrides
    (including `remediation_dependency_overrides`) is restored after the test, in reverse
    order, also when the test fails."""
    container = TestDependencyContainer(remediation_app)
    try:
        for key, value in remediation_dependency_overrides.items():
            container.override(key, value)
        yield container
    finally:
        container.restore()
