"""Where a suite runs from: its root, or the folder below it that holds its pytest
configuration (`tests/pytest.ini`), as a developer runs it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from testing_lib.organizer.pytest_settings import nested_pytest_home

# the project's root, for the leak tracker when pytest's rootdir lies below it: the modules
# under it are the project's
PROJECT_ROOT_ENV = "REMEDIATION_PROJECT_ROOT"


def suite_home(root: Path, selection: Sequence[str]) -> Path:
    """Where the suite of `root` runs from: the root, or, for a bare run (no selection) of
    a project whose pytest configuration lives in one folder below it (`tests/pytest.ini`),
    that folder, as a developer runs it and as the printed replays do."""
    if selection:
        return root
    return nested_pytest_home(root) or root
