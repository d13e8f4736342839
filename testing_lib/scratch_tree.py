"""A scratch copy of a target, where patches are proven before they touch the target.

Every patch the engine writes (order-dependence fixes, cures) is first made on a copy of
the target in a temporary folder and proven there by real pytest runs; the target itself
is written only by an apply, through the journal.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# Not copied: what the target's tests do not read and can be large or private.
NOT_COPIED = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    ".remediation",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
)
SCRATCH_IGNORE = shutil.ignore_patterns(*NOT_COPIED)


@contextmanager
def scratch_copy(root: Path, planned: Mapping[str, bytes] | None = None) -> Iterator[Path]:
    """A copy of `root` in a temporary folder, removed afterwards whatever happens; with
    the patches planned so far (`{relative path: new content}`) written into it."""
    folder = Path(tempfile.mkdtemp(prefix="rem-fix-"))
    try:
        copy = folder / root.name
        shutil.copytree(root, copy, symlinks=True, ignore=SCRATCH_IGNORE)
        for relative, content in (planned or {}).items():
            (copy / relative).write_bytes(content)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)
