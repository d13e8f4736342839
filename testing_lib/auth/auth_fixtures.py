"""pytest fixtures for authentication tests, registered by the plugin.

PYTEST_DONT_REWRITE: loaded through `pytest_plugins` of testing_lib.plugin, possibly after
an import elsewhere in the library; it holds no test assertions to rewrite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from testing_lib.project_settings import project_settings

if TYPE_CHECKING:  # imported where used: pytest loads this plugin in every run of the venv
    from testing_lib.auth.tokens import AuthTestFixtures


@pytest.fixture
def auth_fixtures(request: pytest.FixtureRequest) -> AuthTestFixtures:
    """`AuthTestFixtures` configured from `[tool.remediation.testing.auth]`.

    `mock_current_user(..., dependency=get_current_user)` overrides the dependency through
    `dependency_container` (resolved on first use), so it is undone after the test.
    """
    from testing_lib.auth.tokens import AuthTestFixtures

    config = project_settings(request.config).testing.auth
    return AuthTestFixtures.from_config(
        config, container=lambda: request.getfixturevalue("dependency_container")
    )
