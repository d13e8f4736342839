"""Writing into a user's tree all or nothing: one mechanism for every journaled command.

Every command that changes a target (`remediate organize --apply` and `--undo`, the
codemods' `--apply`, `remediate fix undo`) writes through the durable primitives here and
runs its changes under `rolled_back_on_failure`. When a write fails (`OSError`: a full
disk, an I/O error, a permission refused, a file that changed under it) the command takes
back what it did in this run and raises `WriteFailed`, whose `line` is the one line the CLI
prints: what failed and where, that nothing was changed, and what to do. When the rollback
itself cannot finish, the line says so and names the undo command that finishes it; the
command's journal is left unfinished and consistent for that undo.

A rollback needs no free space: a rewritten file gets its original back by renaming the
saved copy over it (`put_back`), a moved file is moved back, a folder the run created is
removed with the journal folder (`RunFolder.discard`); journal updates during a rollback
are best effort, since undo reads the state of every step from the disk.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RollbackStuck",
    "RunFolder",
    "WriteCommand",
    "WriteFailed",
    "advice",
    "create_bytes",
    "describe",
    "fsync_dir",
    "put_back",
    "remove_created",
    "remove_temporaries",
    "replace_bytes",
    "rolled_back_on_failure",
    "undo_put_back",
    "undo_remove",
    "write_new",
]

logger = logging.getLogger(__name__)

# a hard link cannot be made here (another filesystem, or links unsupported): copy instead
_NO_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})

_ADVICE = {
    errno.ENOSPC: "free space on that filesystem",
    errno.EDQUOT: "free space (the disk quota is reached)",
    errno.EACCES: "give this user write access there",
    errno.EPERM: "give this user write access there",
    errno.EROFS: "make that filesystem writable",
    errno.EIO: "check the disk (an input/output error)",
    errno.EEXIST: "leave the tree alone while the command runs",
    errno.ENOENT: "leave the tree alone while the command runs",
    errno.ENOTEMPTY: "leave the tree alone while the command runs",
}


class WriteFailed(Exception):
    """A write into a target failed; `line` is the one line to tell the user.

    `whole` is True when the rollback put the tree back as it was before the command;
    False when it could not finish, and `line` names the undo command that finishes it.
    """

    def __init__(self, line: str, *, whole: bool) -> None:
        super().__init__(line)
        self.line = line
        self.whole = whole


class RollbackStuck(Exception):
    """A rollback that cannot put everything back; the message says what is left."""


def describe(error: OSError, root: Path) -> str:
    """`No space left on device (ENOSPC) at tests/x.py`: the error and the file it hit."""
    text = error.strerror or str(error) or type(error).__name__
    code = errno.errorcode.get(error.errno, "") if isinstance(error.errno, int) else ""
    what = f"{text} ({code})" if code else text
    names = [_shown(name, root) for name in (error.filename, error.filename2) if name]
    return f"{what} at {' -> '.join(names)}" if names else what


def _shown(name: object, root: Path) -> str:
    path = Path(os.fsdecode(name)) if isinstance(name, str | bytes) else Path(str(name))
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def advice(error: OSError) -> str:
    """What to do about `error` before running the command again."""
    return (
        _ADVICE.get(error.errno, "fix the cause")
        if isinstance(error.errno, int)
        else "fix the cause"
    )


@dataclass(frozen=True)
class WriteCommand:
    """A command that writes into `root`: what it is, and the undo that finishes its work."""

    what: str  # "the reorganization of /x"
    root: Path
    finish: str  # the command that finishes a rollback that could not: `remediate ... --undo`

    def failed(self, failure: OSError, rollback: Callable[[], None]) -> WriteFailed:
        """Roll back after `failure`; the error to raise (whole, or naming the undo)."""
        logger.warning("%s failed: %s; rolling back", self.what, failure)
        try:
            rollback()
        except (OSError, RollbackStuck) as stuck:
            return self.unfinished(describe(failure, self.root), stuck, failure)
        return WriteFailed(
            f"{self.what} failed: {describe(failure, self.root)}; nothing was changed: "
            f"{advice(failure)}, then run the command again",
            whole=True,
        )

    def unfinished(
        self, cause: str, stuck: OSError | RollbackStuck, failure: OSError | None = None
    ) -> WriteFailed:
        """The error for a rollback that stopped at `stuck` (after `cause`)."""
        logger.warning("%s: the rollback could not finish: %s", self.what, stuck)
        if isinstance(stuck, OSError):
            why, todo = describe(stuck, self.root), advice(stuck)
        else:
            why = str(stuck)
            todo = advice(failure) if failure is not None else "leave the tree alone"
        return WriteFailed(
            f"{self.what} failed: {cause}; its rollback could not finish ({why}): {todo}, "
            f"then run `{self.finish}` to restore the tree",
            whole=False,
        )


@contextmanager
def rolled_back_on_failure(command: WriteCommand, rollback: Callable[[], None]) -> Iterator[None]:
    """Run the block; on a failed write, `rollback` and raise `WriteFailed` instead."""
    try:
        yield
    except OSError as failure:
        raise command.failed(failure, rollback) from failure


# -- durable primitives ------------------------------------------------------------------------


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Name `path` on an OSError raised without a file name (a failed write or fsync)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable."""
    with _naming(folder):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_new(path: Path, data: bytes) -> None:
    """Write a new file (a backup) and fsync it and its folder; a failure leaves no file."""
    with _naming(path):
        stream = path.open("xb")  # never replaces a file
        try:
            with stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    fsync_dir(path.parent)


def replace_bytes(path: Path, data: bytes) -> None:
    """Replace (or create) a file atomically: it always holds the old or the new bytes.

    The bytes go to a temporary file next to it, are fsynced, and the temporary file is
    renamed over the original, keeping its mode; a failure removes the temporary file. A
    symbolic link is followed: the file it points to is replaced.
    """
    real = path.resolve()
    with _naming(real):
        mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else None
        fd, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                if mode is not None:
                    os.chmod(temporary, mode)
                os.fsync(stream.fileno())
            os.replace(temporary, real)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    fsync_dir(real.parent)


def create_bytes(path: Path, data: bytes) -> None:
    """Create a file that must not exist, atomically: it is absent or holds all of `data`.

    The bytes go to a temporary file next to it (with the mode a new file gets), are
    fsynced, and the temporary file is hard-linked as `path`, which never replaces anything:
    FileExistsError when `path` exists (a dangling symbolic link too). Where hard links
    cannot be made, the file is written in place, still never replacing one.
    """
    with _naming(path):
        fd, temporary = _temporary_beside(path)
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            try:
                os.link(temporary, path)
            except OSError as exc:
                if exc.errno not in _NO_LINK:
                    raise
                write_new(path, data)
        finally:
            temporary.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _temporary_beside(path: Path) -> tuple[int, Path]:
    """A new temporary file named as `remove_temporaries` finds it, open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary  # the umask applies
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))


def remove_created(path: Path, *, keep: Path | None = None) -> None:
    """Remove a file a run created (a symbolic link there is removed, not followed).

    The file stays reachable as `keep` when given (a hard link, so that this costs no
    space); `undo_remove` reverses the step, wherever it stopped.
    """
    with _naming(path):
        if keep is not None:
            keep.unlink(missing_ok=True)  # what a killed run may have left
            _link_or_copy(path, keep)
        try:
            path.unlink()
        except BaseException:
            if keep is not None:
                keep.unlink(missing_ok=True)
            raise
    fsync_dir(path.parent)


def undo_remove(path: Path, kept: Path) -> None:
    """Reverse `remove_created(path, keep=kept)`, wherever it stopped: the kept file goes
    back to `path` (never over a file that is there now)."""
    if not kept.exists():
        return  # it stopped before keeping anything: nothing changed
    if not os.path.lexists(path):
        _link_or_copy(kept, path)
    kept.unlink()


def remove_temporaries(path: Path) -> None:
    """Remove the temporary files a failed or killed `replace_bytes` of `path` left beside
    it (named `.<name>.<8 random characters>.tmp`); raises OSError when one stays."""
    real = path.resolve()
    if not real.parent.is_dir():
        return
    pattern = re.compile(rf"\.{re.escape(real.name)}\.[a-z0-9_]{{8}}\.tmp")
    for temporary in real.parent.iterdir():
        if pattern.fullmatch(temporary.name) and temporary.is_file():
            temporary.unlink()


def put_back(path: Path, saved: Path, *, keep: Path | None = None) -> None:
    """Put the file `saved` (a backup) at `path` by renaming it there: no free space needed.

    `saved` is consumed. The file `path` held stays reachable as `keep` when given (a hard
    link, so that this too costs no space); `undo_put_back` reverses the step, wherever
    it stopped. The mode of `path`'s file is kept; a symbolic link is followed.
    """
    real = path.resolve()
    with _naming(real):
        mode = stat.S_IMODE(real.stat().st_mode)
        if keep is not None:
            keep.unlink(missing_ok=True)  # what a killed run may have left
            _link_or_copy(real, keep)
        try:
            os.chmod(saved, mode)
            try:
                os.replace(saved, real)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                replace_bytes(real, saved.read_bytes())  # the journal is on another filesystem
                saved.unlink()
        except BaseException:
            if keep is not None:
                keep.unlink(missing_ok=True)
            raise
    fsync_dir(real.parent)


def undo_put_back(path: Path, saved: Path, kept: Path) -> None:
    """Reverse `put_back(path, saved, keep=kept)`, wherever it stopped: the file `path`
    held (kept) goes back there, and the put-back file back to `saved`."""
    if not kept.exists():
        return  # it stopped before keeping anything: nothing changed
    if saved.exists():
        kept.unlink()  # never renamed over `path`: the file there is as it was
        return
    put_back(path, kept, keep=saved)


def _link_or_copy(source: Path, link: Path) -> None:
    try:
        os.link(source, link)
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        write_new(link, source.read_bytes())
        return
    try:
        fsync_dir(link.parent)
    except BaseException:
        link.unlink(missing_ok=True)
        raise


class RunFolder:
    """The folder one run creates for its journal, and the parents it had to create.

    `discard` removes all of them (parents only while empty), for a run that changed
    nothing: a command that fails before or while changing the tree leaves no folder behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._created: list[Path] = []  # outermost first

    def create(self, *subfolders: str) -> Path:
        """Create the folder (never an existing one), its missing parents and `subfolders`."""
        missing = []
        current = self.path
        while not current.exists():
            missing.append(current)
            current = current.parent
        if self.path not in missing:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(self.path))
        for folder in reversed(missing):
            folder.mkdir()
            self._created.append(folder)  # a failure past here: discard removes it
        for name in subfolders:
            (self.path / name).mkdir()
        for folder in (*missing, *(self.path / name for name in subfolders)):
            fsync_dir(folder.parent)
        return self.path

    def discard(self, journal: str | None = None) -> None:
        """Remove the run's folder with everything in it, then the parents it created.

        Raises OSError when the run's folder cannot be removed while its `journal` (a file
        name in it) is still there: that journal must be closed by an undo. A folder left
        without its journal, or a parent that cannot be removed (someone else's files went
        there meanwhile, or the disk refuses), stays, logged: the engine ignores it.
        """
        if self.path in self._created:
            try:
                shutil.rmtree(self.path)
            except OSError as exc:
                if journal is None or (self.path / journal).exists():
                    raise
                logger.warning("Left the folder %s (%s)", self.path, exc.strerror or exc)
        for folder in reversed([f for f in self._created if f != self.path]):
            try:
                folder.rmdir()
            except OSError as exc:
                logger.warning("Left the folder %s (%s)", folder, exc.strerror or exc)
                break
        self._created.clear()
