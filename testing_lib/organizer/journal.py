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

Writes go through the primitives of `testing_lib.target_writes`, which every journaled
command shares. Rolling back and undoing need no free space: a rewritten file gets its
original back by renaming the backup over it. An undo keeps the rewritten file beside its
backup (`<n>.bak.rewritten`, a hard link) until it has finished, so that an undo whose own
write fails can be taken back (`redo_ops`); a finished undo removes them.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from testing_lib.organizer.git_tracking import run_git
from testing_lib.organizer.organizer_errors import OrganizerError
from testing_lib.state_dir import STATE_DIR
from testing_lib.target_writes import (
    RunFolder,
    put_back,
    remove_temporaries,
    replace_bytes,
    undo_put_back,
)

__all__ = [
    "Journal",
    "JOURNAL_FILE",
    "JournalOp",
    "OrganizerError",
    "reconcile",
    "unfinished_apply_message",
    "unfinished_journal",
]

logger = logging.getLogger(__name__)

JOURNAL_DIR = "organize"
JOURNAL_FILE = "journal.json"

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


def start_journal(root: Path) -> tuple[Journal, RunFolder]:
    """A new journal, durable as `in_progress` before the tree is touched.

    A failed write here leaves no folder behind (the OSError propagates: nothing changed).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    journal = Journal(
        id=f"{stamp}-{secrets.token_hex(3)}", root=str(root), created_at=datetime.now(UTC)
    )
    run = RunFolder(journals_dir(root) / journal.id)
    try:
        run.create("backup")
        save(journal, run.path)
    except OSError:
        try:
            run.discard(JOURNAL_FILE)
        except OSError as exc:  # the tree is untouched: the folder is all that is left
            logger.warning("Could not remove the new journal folder %s: %s", run.path, exc)
        raise
    return journal, run


def new_journal(root: Path) -> tuple[Journal, Path]:
    """`start_journal`, for callers that need only the folder."""
    journal, run = start_journal(root)
    return journal, run.path


def save(journal: Journal, folder: Path) -> None:
    """Replace `journal.json` atomically and durably (fsync, rename, fsync the folder)."""
    replace_bytes(folder / JOURNAL_FILE, journal.model_dump_json(indent=2).encode("utf-8"))


def save_if_possible(journal: Journal, folder: Path) -> bool:
    """`save`, for a rollback: a failed save is logged, since undo reads the disk anyway."""
    try:
        save(journal, folder)
    except OSError as exc:
        logger.warning(
            "Could not update the journal in %s (%s): undo reads each step from the disk",
            folder,
            exc,
        )
        return False
    return True


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


# -- primitives -------------------------------------------------------------------------------


def _appeared(destination: Path) -> FileExistsError:
    return FileExistsError(
        errno.EEXIST, "a file appeared there while the command ran", str(destination)
    )


# a hard link cannot be made here: rename instead (after checking the destination is free)
_NO_LINK = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})


def move(root: Path, source: str, destination: str, *, via_git: bool) -> None:
    """Move a file without ever replacing one; parents of `destination` must exist.

    Raises OSError when the move cannot be made (`FileExistsError` when the destination
    exists, which the plan ruled out: a file appeared while the command ran).
    """
    src, dst = root / source, root / destination
    if dst.exists() or dst.is_symlink():
        raise _appeared(dst)
    if via_git:
        result = run_git(root, "mv", "--", source, destination)
        if result.returncode != 0:
            raise OSError(
                f"git mv {source} {destination} failed: {result.stderr.strip()} "
                "(resolve it, or commit your index)"
            )
        return
    try:
        os.link(src, dst)  # fails with EEXIST rather than replacing
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise _appeared(dst) from exc
        if exc.errno not in _NO_LINK:
            raise
        if dst.exists():
            raise _appeared(dst) from exc
        os.rename(src, dst)  # hard links unsupported here; checked just above
        return
    src.unlink()


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
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return False
        raise
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


def _rewritten_name(backup: str) -> str:
    return f"{backup}.rewritten"


def undo_ops(
    journal: Journal,
    folder: Path,
    root: Path,
    *,
    record: Callable[[Journal, Path], object] = save,
    reversed_ops: list[JournalOp] | None = None,
) -> list[str]:
    """Reverse the done operations, newest first; returns folders left because not empty.

    A rewritten file gets its original back by renaming the backup over it (no free space
    needed). `record` saves the journal after each step. With `reversed_ops` (an undo), each
    operation is appended to it as its reversal starts, and the rewritten file is kept
    beside its backup, so that `redo_ops` can take the undo back; without it (a rollback)
    the backup is consumed.
    """
    leftovers = []
    for op in reversed(journal.ops):
        if not op.done:
            continue
        if reversed_ops is not None:
            reversed_ops.append(op)
        if op.op == "move" and op.destination is not None:
            move(root, op.destination, op.path, via_git=op.via_git)
        elif op.op == "write" and op.backup is not None:
            keep = folder / _rewritten_name(op.backup) if reversed_ops is not None else None
            put_back(root / op.path, folder / op.backup, keep=keep)
        elif op.op == "create":
            (root / op.path).unlink()
        elif op.op == "mkdir":
            if not _remove_dir(root / op.path):
                leftovers.append(op.path)
        elif op.op == "rmdir":
            (root / op.path).mkdir(exist_ok=True)
        op.done = False
        record(journal, folder)
    return leftovers


def redo_ops(journal: Journal, folder: Path, root: Path, ops: list[JournalOp]) -> None:
    """Take back an undo that failed: carry `ops` (as `undo_ops` listed them) out again.

    Each operation is redone from what the disk holds, so the one whose reversal failed
    half-way (a move back that linked but did not unlink, a backup linked but not yet
    renamed) is completed or dropped. Journal updates are best effort: the journal stays
    unfinished (`undoing`) if they fail, and a later undo reads each step from the disk.
    """
    for op in reversed(ops):
        if op.op == "move" and op.destination is not None:
            _redo_move(root, op)
        elif op.op == "write" and op.backup is not None:
            undo_put_back(root / op.path, folder / op.backup, folder / _rewritten_name(op.backup))
        elif op.op == "create":
            if not (root / op.path).exists():
                with (root / op.path).open("xb"):
                    pass
        elif op.op == "mkdir":
            (root / op.path).mkdir(exist_ok=True)
        elif op.op == "rmdir":
            if (root / op.path).is_dir():
                (root / op.path).rmdir()
        op.done = True
        save_if_possible(journal, folder)
    ops.clear()


def _redo_move(root: Path, op: JournalOp) -> None:
    assert op.destination is not None
    source, destination = root / op.path, root / op.destination
    if source.exists() and destination.exists() and source.samefile(destination):
        source.unlink()  # the move back linked the file and stopped: drop that name
    elif source.exists() and not destination.exists():
        move(root, op.path, op.destination, via_git=op.via_git)


def sweep_temporaries(journal: Journal, folder: Path, root: Path) -> None:
    """Remove the temporary files failed rewrites (and journal saves) left behind; raises
    OSError when one stays."""
    for op in journal.ops:
        if op.op == "write":
            remove_temporaries(root / op.path)
    remove_temporaries(folder / JOURNAL_FILE)


def drop_rewritten(journal: Journal, folder: Path) -> None:
    """Remove the rewritten files a finished undo kept (nothing needs them any more)."""
    for op in journal.ops:
        if op.op == "write" and op.backup is not None:
            kept = folder / _rewritten_name(op.backup)
            try:
                kept.unlink(missing_ok=True)
            except OSError as exc:
                logger.warning("Could not remove %s (%s); it is no longer needed", kept, exc)


def verify_originals(journal: Journal, root: Path) -> list[str]:
    """Files whose bytes differ from before the apply (empty: restored byte for byte)."""
    wrong = []
    for path, digest in sorted(journal.originals.items()):
        target = root / path
        if not target.is_file() or sha256_of(target) != digest:
            wrong.append(path)
    return wrong
