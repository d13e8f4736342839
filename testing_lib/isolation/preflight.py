"""Before validating a target's isolation: does it hold any test pytest could collect?

Asked before anything is written into the target (its run lock, its reports), by reading
files only, so a folder that holds no tests is refused and left exactly as it was. The
answer errs on the side of running: a test module anywhere pytest would recurse (or a
file selected by name) counts, whatever `testpaths` says.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from testing_lib.organizer.discovery import walk
from testing_lib.organizer.pytest_settings import matches_python_files, read_pytest_settings


@dataclass(frozen=True)
class FoundTests:
    """What `find_tests` saw under a target, for a selection of it (empty: the suite)."""

    root: Path
    selection: tuple[str, ...]
    test_files: tuple[str, ...]  # test modules, and selected files, that may hold tests
    python_files: tuple[str, ...]  # pytest's patterns for test module names
    unreadable: tuple[str, ...]  # folders that could not be read ("." for the root)

    def _folders(self) -> str:
        return ", ".join(str(self.root) if f == "." else f for f in self.unreadable)

    @property
    def problem(self) -> str | None:
        """None when there are tests; else what is wrong, naming the target, in one line."""
        if self.test_files:
            return None
        where = f" in {', '.join(self.selection)}" if self.selection else ""
        why = f"no file matching {' or '.join(self.python_files)}{where}"
        if self.unreadable:
            why += f"; cannot read {self._folders()}"
        return f"no tests found under {self.root} ({why})"

    @property
    def warning(self) -> str | None:
        """None when every folder could be read; else which could not, in one line."""
        if not self.unreadable:
            return None
        return (
            f"cannot read {len(self.unreadable)} folder(s) under {self.root}, so the tests "
            f"in them cannot be collected: {self._folders()}"
        )


def find_tests(root: Path, selection: Sequence[str] = ()) -> FoundTests:
    """The test files under `root` that `selection` (pytest paths or node ids; empty: the
    whole suite) reaches, found by walking the target as pytest recurses."""
    root = root.resolve()
    settings = read_pytest_settings(root)
    paths = [raw.split("::", 1)[0].rstrip("/") for raw in selection] or [""]
    paths = ["" if path == "." else path for path in paths]
    named = [p for p in paths if p and os.path.isfile(root / p)]  # collected whatever its name
    walked = walk(root, settings.norecursedirs, under=[p for p in paths if p not in named])
    test_files = named + [
        path
        for path in walked.python_files
        if path.rpartition("/")[2] not in ("__init__.py", "conftest.py")
        and matches_python_files(path, settings.python_files)
    ]
    return FoundTests(
        root=root,
        selection=tuple(selection),
        test_files=tuple(sorted(set(test_files))),
        python_files=tuple(settings.python_files),
        unreadable=tuple(walked.unreadable),
    )
