"""Find the files the audit looks at: what pytest would collect, and what sits beside it.

Walks the root the way pytest recurses (skipping `norecursedirs`, virtualenvs and
`__pycache__`), and sorts Python files into test modules (`python_files`), conftests and
helpers (any other module in a test folder). Every Python file is kept for import
resolution, including application code. A folder that cannot be listed (permission
denied) is not skipped silently: it is logged and kept in `Discovered.unreadable`.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from testing_lib.organizer.models import PytestSettings
from testing_lib.organizer.modules import is_under, parent
from testing_lib.organizer.pytest_settings import matches_python_files

logger = logging.getLogger(__name__)

ALWAYS_SKIPPED = {"__pycache__", "site-packages", ".remediation", ".git"}


@dataclass
class Discovered:
    python_files: list[str] = field(default_factory=list)  # every .py, relative posix
    test_modules: list[str] = field(default_factory=list)
    conftests: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    in_scope: set[str] = field(default_factory=set)  # reached by pytest's default collection
    test_root: str = "tests"
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed

    @property
    def audited(self) -> list[str]:
        return sorted({*self.test_modules, *self.conftests, *self.helpers})


def _is_venv(path: Path) -> bool:
    return os.path.isfile(path / "pyvenv.cfg")  # False, not an error, in an unreadable folder


@dataclass(frozen=True)
class Walk:
    """The Python files found under some folders, and the folders that could not be read."""

    python_files: list[str]  # relative posix, sorted
    unreadable: list[str]  # relative posix ("." for the root itself), sorted
    errors: dict[str, str] = field(default_factory=dict)  # folder -> why it could not be read

    def describe_unreadable(self) -> str:
        """`tests/private (Permission denied), ...`, for a log line or a message."""
        return ", ".join(f"{folder} ({self.errors[folder]})" for folder in self.unreadable)


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else "."


def walk(root: Path, norecurse: Sequence[str], under: Sequence[str] = ("",)) -> Walk:
    """List the `.py` files under `root` (or under its folders `under`) as pytest recurses.

    A folder whose listing fails (permission denied, an I/O error) is recorded in
    `Walk.unreadable` instead of being skipped: its files are missing from the answer.
    """
    root = root.resolve()
    found: list[str] = []
    errors: dict[str, str] = {}
    pending = [root / folder if folder else root for folder in under]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except FileNotFoundError:
            continue  # removed while walking, or a selection path that is a file
        except NotADirectoryError:
            continue
        except OSError as exc:
            errors[_relative(root, folder)] = exc.strerror or type(exc).__name__
            continue
        if not os.access(folder, os.X_OK):  # listed, but its files cannot be opened
            errors[_relative(root, folder)] = "Permission denied"
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                name = entry.name
                if name in ALWAYS_SKIPPED or any(fnmatch.fnmatch(name, p) for p in norecurse):
                    continue
                if _is_venv(Path(entry.path)):
                    continue
                pending.append(Path(entry.path))
            elif entry.name.endswith(".py") and entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path).relative_to(root).as_posix())
    return Walk(python_files=sorted(set(found)), unreadable=sorted(errors), errors=errors)


def choose_test_root(root: Path, settings: PytestSettings) -> str:
    """Where the organized layout lives: the first testpath folder, else tests/ or test/."""
    for candidate in settings.testpaths:
        if candidate and os.path.isdir(root / candidate):
            return candidate
    for candidate in ("tests", "test"):
        if os.path.isdir(root / candidate):
            return candidate
    return "tests"


def discover(root: Path, settings: PytestSettings) -> Discovered:
    root = root.resolve()
    found = Discovered(test_root=choose_test_root(root, settings))
    walked = walk(root, settings.norecursedirs)
    found.python_files = walked.python_files
    found.unreadable = walked.unreadable
    if walked.unreadable:
        logger.warning(
            "cannot read %d folder(s) under %s, so the tests in them are left out: %s",
            len(walked.unreadable),
            root,
            walked.describe_unreadable(),
        )
    test_modules = []
    conftests = []
    for path in found.python_files:
        name = path.rpartition("/")[2]
        if name == "conftest.py":
            conftests.append(path)
        elif name != "__init__.py" and matches_python_files(path, settings.python_files):
            test_modules.append(path)
    test_dirs = {parent(p) for p in (*test_modules, *conftests)}
    test_dirs.discard("")
    helpers = []
    for path in found.python_files:
        name = path.rpartition("/")[2]
        if name in ("__init__.py", "conftest.py") or path in test_modules:
            continue
        folder = parent(path)
        if folder in test_dirs or (found.test_root and is_under(path, found.test_root)):
            helpers.append(path)
    found.test_modules = test_modules
    found.conftests = conftests
    found.helpers = helpers
    scopes = [p for p in settings.testpaths if os.path.exists(root / p)] or [""]
    found.in_scope = {p for p in (*test_modules, *conftests) if any(is_under(p, s) for s in scopes)}
    # Conftests above a testpath still apply to it.
    for conftest in conftests:
        if any(is_under(s, parent(conftest)) for s in scopes):
            found.in_scope.add(conftest)
    return found


def root_package_name(root: Path, settings: PytestSettings) -> str | None:
    """The dotted name pytest gives the root when it is itself a package, else None.

    In `prepend`/`append` mode a test module inside packages that reach the root is
    imported from the first folder above without `__init__.py`: `backend.tests.test_x`
    for `backend/tests/test_x.py` when `backend/__init__.py` exists.
    """
    if settings.import_mode == "importlib":
        return None
    parts: list[str] = []
    folder = root.resolve()
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.append(folder.name)
        folder = folder.parent
    return ".".join(reversed(parts)) or None
