"""Find the files the audit looks at: what pytest would collect, and what sits beside it.

Walks the root the way pytest recurses (skipping `norecursedirs`, virtualenvs and
`__pycache__`), and sorts Python files into test modules (`python_files`), conftests and
helpers (any other module in a test folder). Every Python file is kept for import
resolution, including application code.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

from testing_lib.organizer.models import PytestSettings
from testing_lib.organizer.modules import is_under, parent
from testing_lib.organizer.pytest_settings import matches_python_files

ALWAYS_SKIPPED = {"__pycache__", "site-packages", ".remediation", ".git"}


@dataclass
class Discovered:
    python_files: list[str] = field(default_factory=list)  # every .py, relative posix
    test_modules: list[str] = field(default_factory=list)
    conftests: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    in_scope: set[str] = field(default_factory=set)  # reached by pytest's default collection
    test_root: str = "tests"

    @property
    def audited(self) -> list[str]:
        return sorted({*self.test_modules, *self.conftests, *self.helpers})


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def _walk(root: Path, norecurse: list[str]) -> list[str]:
    found: list[str] = []
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
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
    return sorted(found)


def choose_test_root(root: Path, settings: PytestSettings) -> str:
    """Where the organized layout lives: the first testpath folder, else tests/ or test/."""
    for candidate in settings.testpaths:
        if candidate and (root / candidate).is_dir():
            return candidate
    for candidate in ("tests", "test"):
        if (root / candidate).is_dir():
            return candidate
    return "tests"


def discover(root: Path, settings: PytestSettings) -> Discovered:
    root = root.resolve()
    found = Discovered(test_root=choose_test_root(root, settings))
    found.python_files = _walk(root, settings.norecursedirs)
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
    scopes = [p for p in settings.testpaths if (root / p).exists()] or [""]
    found.in_scope = {p for p in (*test_modules, *conftests) if any(is_under(p, s) for s in scopes)}
    # Conftests above a testpath still apply to it.
    for conftest in conftests:
        if any(is_under(s, parent(conftest)) for s in scopes):
            found.in_scope.add(conftest)
    return found
