"""The `test_file_organizer` fixture (offered by the remediation pytest plugin)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from testing_lib.organizer.organizer import TestFileOrganizer


@pytest.fixture(scope="session")
def test_file_organizer(request: pytest.FixtureRequest) -> TestFileOrganizer:
    """A `TestFileOrganizer` over this project (pytest's rootdir), using this interpreter.

    The organizer takes the project root, not the tests folder, since a
    messy suite keeps test files outside `tests/` too. Auditing and planning change nothing;
    only `execute_reorganization(apply=True)` does, and it is checked and undoable.
    """
    from testing_lib.organizer.organizer import TestFileOrganizer  # only when a test asks

    return TestFileOrganizer(request.config.rootpath, python=sys.executable)
