"""The journal of an applied reorganization: every change, in order, and how to take it back.

Lives in `TARGET/.remediation/organize/<id>/` (`journal.json`, plus `backup/<n>.bak`: the
original bytes of every rewritten file). Folders the moves leave empty are removed (and
recreated by undo). Each operation is recorded *before* it is carried
out and marked done after, and the file is replaced atomically each time, so even an
interrupted apply can be undone. Undo checks every file is as the apply left it (and
refuses, naming the file, when someone edited it since), then reverses the operations
and verifies every original file hash.

Moves never overwrite: the destination must not exist (`os.link` then unlink, which
fails if it does; `git mv` for tracked files, which refuses too).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from testing_lib.organizer.errors import OrganizerError
from testing_lib.storage import STATE_DIR

__all__ = ["Journal", "JournalOp", "OrganizerError", "reconcile"]

logger = logging.getLogger(__name__)

JOURNAL_DIR = "organize"
GIT_TIMEOUT_S = 60.0

JournalStatus = Literal["in_progress", "applied", "rolled_back", "undone"]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class JournalOp(BaseModel):
    op: Literal["mkdir", "create", "write", "move", "rmdir"]
    path: str  # mkdir/create/write: the path; move: the source
    destination: str | None = None
    via_git: bool = False
    sha256_before: str | None = None  # write: original content; move: the moved content
    sha256_after: str | None = None  # write/create: what was written
    backup: str | None = None  # write: backup file, relative to the journal folder
    done: bool = False


class Journal(BaseModel):
    id: str
    root: str
    created_at: datetime
    status: JournalStatus = "in_progress"
    originals: dict[str, str] = Field(default_factory=dict)  # path -> sha256 before apply
    ops: list[JournalOp] = Field(default_factory=list)
    finished_at: datetime | None = None


def journals_dir(root: Path) -> Path:
    return root / STATE_DIR / JOURNAL_DIR


def new_journal(root: Path) -> tuple[Journal, Path]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    journal = Journal(
        id=f"{stamp}-{secrets.token_hex(3)}", root=str(root), created_at=datetime.now(UTC)
    )
    folder = journals_dir(root) / journal.id
    (folder / "backup").mkdir(parents=True)
    return journal, folder


def save(journal: Journal, folder: Path) -> None:
    partial = folder / "journal.json.partial"
    with partial.open("w", encoding="utf-8") as stream:
        stream.write(journal.model_dump_json(indent=2))
        stream.flush()
        os.fsync(stream.fileno())
    partial.replace(folder / "journal.json")


def load(folder: Path) -> Journal:
    return Journal.model_validate_json((folder / "journal.json").read_text(encoding="utf-8"))


def latest_applied(root: Path) -> Path | None:
    """The most recent journal folder whose changes are still in the tree."""
    base = journals_dir(root)
    if not base.is_dir():
        return None
    for folder in sorted((p for p in base.iterdir() if p.is_dir()), reverse=True):
        if not (folder / "journal.json").is_file():
            continue
        if load(folder).status in ("applied", "in_progress"):
            return folder
    return None


# -- git --------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
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
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.TimeoutExpired):
        return None  # no git here: plain moves
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    listed = _git(root, "ls-files", "-z", "--full-name", "--", ".")
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.strip()
    if listed.returncode != 0:
        return None
    tracked = set()
    for name in listed.stdout.split("\0"):
        if name and name.startswith(prefix):
            tracked.add(name[len(prefix) :])
    return tracked


# -- primitives -------------------------------------------------------------------------------


def move(root: Path, source: str, destination: str, *, via_git: bool) -> None:
    """Move a file without ever replacing one; parents of `destination` must exist."""
    src, dst = root / source, root / destination
    if dst.exists() or dst.is_symlink():
        raise OrganizerError(f"refusing to move {source} onto existing {destination}")
    if via_git:
        result = _git(root, "mv", "--", source, destination)
        if result.returncode != 0:
            raise OrganizerError(
                f"git mv {source} {destination} failed: {result.stderr.strip()}; resolve it "
                "(or commit your index) and try again"
            )
        return
    try:
        os.link(src, dst)  # fails with EEXIST rather than replacing
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise OrganizerError(f"refusing to move {source} onto existing {destination}") from exc
        if dst.exists():
            raise OrganizerError(f"refusing to move {source} onto existing {destination}") from exc
        os.rename(src, dst)  # hard links unsupported here; checked just above
        return
    src.unlink()


def write_bytes(path: Path, data: bytes) -> None:
    """Replace a file's content in place (its mode and inode stay)."""
    with path.open("r+b") as stream:
        stream.write(data)
        stream.truncate()
        stream.flush()
        os.fsync(stream.fileno())


def _remove_dir(path: Path) -> bool:
    """Remove a folder the apply created if nothing but bytecode caches is in it."""
    if not path.is_dir():
        return True
    for child in path.iterdir():
        if child.name == "__pycache__" and child.is_dir():
            if all(f.suffix == ".pyc" for f in child.iterdir()):
                shutil.rmtree(child)
    try:
        path.rmdir()
    except OSError:
        return False
    return True


# -- undo -------------------------------------------------------------------------------------


def reconcile(journal: Journal, root: Path) -> None:
    """Mark recorded operations whose effect is on disk as done.

    An operation is journaled before it runs and marked done after; a process killed in
    between leaves it unmarked although it happened. Undo must reverse it all the same.
    """
    for op in journal.ops:
        if op.done:
            continue
        if op.op == "move" and op.destination is not None:
            op.done = (root / op.destination).is_file() and not (root / op.path).exists()
        elif op.op == "write":
            target = root / op.path
            op.done = target.is_file() and sha256_of(target) == op.sha256_after
        elif op.op == "create":
            target = root / op.path
            op.done = target.is_file() and sha256_of(target) == op.sha256_after
        elif op.op == "mkdir":
            op.done = (root / op.path).is_dir()
        elif op.op == "rmdir":
            op.done = not (root / op.path).exists()


def check_undoable(journal: Journal, root: Path) -> None:
    """Raise OrganizerError naming every file changed since the apply."""
    edited = []
    for op in journal.ops:
        if not op.done:
            continue
        if op.op == "move" and op.destination is not None:
            current = root / op.destination
            if not current.is_file() or sha256_of(current) != op.sha256_before:
                edited.append(op.destination)
            elif (root / op.path).exists():
                edited.append(f"{op.path} (exists again)")
    # writes happen before moves: the file is where the last move put it
    final_location = {}
    for op in journal.ops:
        if op.op == "move" and op.destination is not None:
            final_location[op.path] = op.destination
    for op in journal.ops:
        if op.done and op.op in ("write", "create"):
            current = root / final_location.get(op.path, op.path)
            if not current.is_file() or sha256_of(current) != op.sha256_after:
                edited.append(final_location.get(op.path, op.path))
    if edited:
        raise OrganizerError(
            "cannot undo: changed since the reorganization: "
            + ", ".join(sorted(set(edited)))
            + "; restore or commit those edits elsewhere first (git stash), then undo again"
        )


def undo_ops(journal: Journal, folder: Path, root: Path) -> list[str]:
    """Reverse the done operations, newest first; returns folders left because not empty."""
    leftovers = []
    for op in reversed(journal.ops):
        if not op.done:
            continue
        if op.op == "move" and op.destination is not None:
            move(root, op.destination, op.path, via_git=op.via_git)
        elif op.op == "write" and op.backup is not None:
            original = (folder / op.backup).read_bytes()
            write_bytes(root / op.path, original)
        elif op.op == "create":
            (root / op.path).unlink()
        elif op.op == "mkdir":
            if not _remove_dir(root / op.path):
                leftovers.append(op.path)
        elif op.op == "rmdir":
            (root / op.path).mkdir(exist_ok=True)
        op.done = False
        save(journal, folder)
    return leftovers


def verify_originals(journal: Journal, root: Path) -> list[str]:
    """Files whose bytes differ from before the apply (empty: restored byte for byte)."""
    wrong = []
    for path, digest in sorted(journal.originals.items()):
        target = root / path
        if not target.is_file() or sha256_of(target) != digest:
            wrong.append(path)
    return wrong
