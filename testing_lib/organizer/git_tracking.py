"""Which of a target's files git tracks, and git itself, for the organizer's moves.

In a git work tree the organizer moves tracked files with `git mv`, so the index follows
(see `journal.move`); elsewhere, or for untracked files, it moves them itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["git_tracked", "run_git"]

GIT_TIMEOUT_S = 60.0


def run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_S,
        check=False,
    )


def git_tracked(root: Path) -> set[str] | None:
    """Paths (relative to `root`) git tracks, or None when `root` is not in a work tree."""
    try:
        inside = run_git(root, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.TimeoutExpired):
        return None  # no git here: plain moves
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    listed = run_git(root, "ls-files", "-z", "--full-name", "--", ".")
    prefix = run_git(root, "rev-parse", "--show-prefix").stdout.strip()
    if listed.returncode != 0:
        return None
    tracked = set()
    for name in listed.stdout.split("\0"):
        if name and name.startswith(prefix):
            tracked.add(name[len(prefix) :])
    return tracked
