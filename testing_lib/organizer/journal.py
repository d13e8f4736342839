"""The journal of an applied reorganization: every change, in order, and how to take it back.

Lives in `TARGET/.remediation/organize/<id>/` (`journal.json`, plus `backup/<n>.bak`: the
original bytes of every rewritten file). Folders the moves leave empty are removed (and
recreated by undo). Each operation is recorded *before* it is carried out and marked done
after; every save writes a temporary file, fsyncs it, renames it over `journal.json` and
fsyncs the folder, and backups are fsynced before the rewrite they back up is journaled.

The status says whether the journal's work finished: `in_progress` (the apply is changing
the tree), `verifying` (changed, collection not yet compared), `rolling_back` and
`undoing` are unfinished; `applied`, `rolled_back` and `undone` are finished. A process
killed at any point leaves an unfinished journal, which blocks a new apply
(`unfinished_journal`) until undo has restored the tree.

Undo does not trust the `done` marks: `reconcile` reads every operation's state from disk
(a kill between an operation and its mark, or inside a move, is thus undone too), refuses,
naming the file, when a file holds neither what the apply found nor what it left (someone
edited it since), then reverses the operations and verifies every original file hash.

Moves never overwrite: the destination must not exist (`os.link` then unlink, which
fails if it does; `git mv` for tracked files, which refuses too). Rewrites replace the
file atomically (temporary file, fsync, rename), so it is always either old or new.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from testing_lib.organizer.organizer_errors import OrganizerError
from testing_lib.storage import STATE_DIR

__all__ = [
    "Journal",
    "JournalOp",
    "OrganizerError",
    "reconcile",
    "unfinished_apply_message",
    "unfinished_journal",
]

logger = logging.getLogger(__name__)

JOURNAL_DIR = "organize"
GIT_TIMEOUT_S = 60.0

JournalStatus = Literal[
    "in_progress", "verifying", "rolling_back", "undoing", "applied", "rolled_back", "undone"
]
UNFINISHED: frozenset[str] = frozenset({"in_progress", "verifying", "rolling_back", "undoing"})
UNDOABLE: frozenset[str] = UNFINISHED | {"applied"}


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

    @property
    def unfinished(self) -> bool:
        """Started but never recorded as finished (a process died in the middle)."""
        return self.status in UNFINISHED


def journals_dir(root: Path) -> Path:
    return root / STATE_DIR / JOURNAL_DIR


def new_journal(root: Path) -> tuple[Journal, Path]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    journal = Journal(
        id=f"{stamp}-{secrets.token_hex(3)}", root=str(root), created_at=datetime.now(UTC)
    )
    folder = journals_dir(root) / journal.id
    (folder / "backup").mkdir(parents=True)
    _fsync_dir(folder.parent)
    save(journal, folder)  # durable "in_progress" before the tree is touched
    return journal, folder


def _fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes) -> None:
    """Write a new file (a backup) and fsync it and its folder before returning."""
    with path.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    _fsync_dir(path.parent)


def save(journal: Journal, folder: Path) -> None:
    """Replace `journal.json` atomically and durably (fsync, rename, fsync the folder)."""
    partial = folder / "journal.json.partial"
    with partial.open("w", encoding="utf-8") as stream:
        stream.write(journal.model_dump_json(indent=2))
        stream.flush()
        os.fsync(stream.fileno())
    partial.replace(folder / "journal.json")
    _fsync_dir(folder)


def load(folder: Path) -> Journal:
    path = folder / "journal.json"
    try:
        return Journal.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError) as exc:
        raise OrganizerError(
            f"the organizer's journal {path} is unreadable ({exc.__class__.__name__}); "
            "restore it from a backup, or move the folder aside"
        ) from exc


def _journals(root: Path) -> list[tuple[Path, Journal]]:
    """Every journal under `root`, newest first (folders without a journal are skipped)."""
    base = journals_dir(root)
    if not base.is_dir():
        return []
    found = []
    for folder in sorted((p for p in base.iterdir() if p.is_dir()), reverse=True):
        if (folder / "journal.json").is_file():
            found.append((folder, load(folder)))
    return found


def latest_applied(root: Path) -> Path | None:
    """The most recent journal folder whose changes are (or may be) still in the tree."""
    for folder, journal in _journals(root):
        if journal.status in UNDOABLE:
            return folder
    return None


def unfinished_apply_message(root: Path) -> str:
    """The one line that refuses a new apply over an unfinished one."""
    return f"an earlier apply did not finish; `remediate organize {root} --undo` restores the tree"


def unfinished_journal(root: Path) -> Path | None:
    """The most recent journal folder of an apply (or undo) that never finished."""
    for folder, journal in _journals(root):
        if journal.unfinished:
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
    """Replace an existing file's content atomically, keeping its mode.

    The bytes go to a temporary file next to it, are fsynced, and the temporary file is
    renamed over the original, so a kill at any point leaves the old or the new content,
    never a mix. A symbolic link is followed: the file it points to is replaced.
    """
    real = path.resolve()
    mode = stat.S_IMODE(real.stat().st_mode)
    fd, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.chmod(temporary, mode)
            os.fsync(stream.fileno())
        os.replace(temporary, real)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_dir(real.parent)


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


def _digest(path: Path) -> str | None:
    return sha256_of(path) if path.is_file() else None


def _reconcile_move(op: JournalOp, root: Path, conflicts: list[str]) -> None:
    assert op.destination is not None
    source, destination = root / op.path, root / op.destination
    at_source = source.exists() or source.is_symlink()
    at_destination = destination.exists() or destination.is_symlink()
    if at_source and at_destination and os.path.samefile(source, destination):
        # killed inside a move (or its undo): the hard link exists, the source was not yet
        # unlinked. Both names are one file, so dropping the new name loses nothing.
        destination.unlink()
        at_destination = False
    if at_destination and not at_source:
        op.done = True
        if _digest(destination) != op.sha256_before:
            conflicts.append(op.destination)
    elif at_source and not at_destination:
        op.done = False
    elif at_source:
        conflicts.append(f"{op.path} and {op.destination} (both exist)")
    else:
        conflicts.append(f"{op.destination} (missing)")


def reconcile(journal: Journal, root: Path) -> list[str]:
    """Set every operation's `done` from what is on disk; returns the files in neither state.

    An operation is journaled before it runs and marked done after (and marked not done
    after undo reverses it); a process killed in between leaves the mark wrong, so the
    disk decides. A file that holds neither what the apply found nor what it left was
    changed by someone else since: it is returned, and undo must not touch the tree.
    """
    conflicts: list[str] = []
    moves = [op for op in journal.ops if op.op == "move" and op.destination is not None]
    for op in moves:
        _reconcile_move(op, root, conflicts)
    # rewrites happen before the moves: the file is where its move (if done) put it
    location = {op.path: op.destination for op in moves if op.done and op.destination}
    for op in journal.ops:
        if op.op in ("write", "create"):
            current = location.get(op.path, op.path)
            target = root / current
            digest = _digest(target)
            if digest == op.sha256_after and digest is not None:
                op.done = True
            elif op.op == "write" and digest is not None and digest == op.sha256_before:
                op.done = False
            elif op.op == "create" and not (target.exists() or target.is_symlink()):
                op.done = False
            else:
                conflicts.append(current)
        elif op.op == "mkdir":
            op.done = (root / op.path).is_dir()
        elif op.op == "rmdir":
            op.done = not (root / op.path).exists()
    return sorted(set(conflicts))


def check_undoable(journal: Journal, root: Path) -> None:
    """Reconcile with the disk; raise OrganizerError naming every file changed since."""
    edited = reconcile(journal, root)
    if edited:
        raise OrganizerError(
            "cannot undo: changed since the reorganization: "
            + ", ".join(edited)
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
