"""pytest fixtures for authentication tests, registered by the plugin.

PYTEST_DONT_REWRITE: loaded through `pytest_plugins` of testing_lib.plugin, possibly after
an import elsewhere in the library; it holds no test assertions to rewrite.
"""

from __future__ import annotations

import pytest

from testing_lib.auth.tokens import AuthTestFixtures
from testing_lib.project_settings import project_settings


@pytest.fixture
def auth_fixtures(request: pytest.FixtureRequest) -> AuthTestFixtures:
    """`AuthTestFixtures` configured from `[tool.remediation.testing.auth]`.

    `mock_current_user(..., dependency=get_current_user)` overrides the dependency through
    `dependency_container` (resolved on first use), so it is undone after the test.
    """
    config = project_settings(request.config).testing.auth
    return AuthTestFixtures.from_config(
        config, container=lambda: request.getfixturevalue("dependency_container")
    )
