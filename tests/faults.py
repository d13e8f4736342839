"""Writes that fail on demand, whole-tree snapshots, and pytest runs paid once per tree state.

`FailingWrites` wraps the system calls through which the engine writes into a target
(`os.fsync`, `os.replace`, `os.rename`, `os.link`, `os.mkdir`, `os.rmdir`, `os.unlink`),
counts those that touch the target, and raises an OSError at the calls chosen: a test loops
over every call number until the command goes through without reaching it.

`tmpfs` mounts a small filesystem that a test can fill up for real (root only).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer

from testing_lib.organizer.models import OrganizationPlan

WRITE_CALLS = ("fsync", "replace", "rename", "link", "mkdir", "rmdir", "unlink")


class FailingWrites:
    """Count the write calls under `root`; raise OSError(`error`) at the calls in `fail_at`.

    An fsync under `root` is counted (and failed when chosen) but not carried out: these
    tests check what a command does when a write fails, not durability, and a real fsync
    costs milliseconds here.
    """

    def __init__(self, root: Path, fail_at: Iterable[int], error: int = errno.ENOSPC) -> None:
        self.root = root.resolve()
        self.fail_at = set(fail_at)
        self.error = error
        self.calls: list[str] = []  # "link tests/x.py", in call order
        self.failed: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FailingWrites:
        for name in WRITE_CALLS:
            monkeypatch.setattr(os, name, self._wrap(name, getattr(os, name)))
        return self

    def reached(self, number: int) -> bool:
        return len(self.calls) >= number

    def _wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            where = self._where(name, args, kwargs)
            if where is not None:
                self.calls.append(f"{name} {where}")
                if len(self.calls) in self.fail_at:
                    self.failed.append(self.calls[-1])
                    message = os.strerror(self.error)
                    if name == "fsync":  # the kernel names no file for a failed fsync
                        raise OSError(self.error, message)
                    raise OSError(self.error, message, str(self.root / where))
                if name == "fsync":
                    return None
            return real(*args, **kwargs)

        return call

    def _where(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        """The target-relative path a call touches, or None when it is not in the target."""
        if any(kwargs.get(k) is not None for k in ("dir_fd", "src_dir_fd", "dst_dir_fd")):
            return None  # shutil.rmtree's relative names: the cleanup of a journal folder
        if name == "fsync":
            fd = args[0] if isinstance(args[0], int) else args[0].fileno()
            try:
                candidates = [os.readlink(f"/proc/self/fd/{fd}")]
            except OSError:
                return None
        else:
            candidates = [os.fsdecode(a) for a in args[:2] if isinstance(a, str | bytes | Path)]
            if name == "mkdir" and candidates and os.path.lexists(candidates[0]):
                return None  # the kernel answers EEXIST before it needs any space
        for candidate in candidates:
            absolute = Path(os.path.abspath(candidate))
            if absolute == self.root or self.root in absolute.parents:
                return absolute.relative_to(self.root).as_posix()
        return None


@functools.cache
def _command() -> Any:
    from cli.main import app

    return typer.main.get_command(app)


def remediate(*args: str) -> int:
    """`remediate ARGS` in this process, as `cli.main.main` runs it but for the watchdog
    (which costs half a second a command): the exit code."""
    try:
        _command().main(args=list(args), prog_name="remediate", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    return 0


def snapshot(root: Path, *, skip: Iterable[str] = ()) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `root`, but those under `skip`."""
    skipped = tuple(skip)
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if any(relative == s or relative.startswith(f"{s}/") for s in skipped):
            continue
        found[relative] = None if path.is_dir() and not path.is_symlink() else path.read_bytes()
    return found


def differences(before: dict[str, bytes | None], after: dict[str, bytes | None]) -> list[str]:
    """What changed between two snapshots, for an assertion message."""
    return sorted(
        [f"+{p}" for p in after.keys() - before.keys()]
        + [f"-{p}" for p in before.keys() - after.keys()]
        + [f"~{p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    )


def tree_key(root: Path) -> str:
    """A digest of the target's files, its journals aside."""
    digest = hashlib.sha256()
    for relative, data in snapshot(root, skip=(".remediation",)).items():
        digest.update(relative.encode() + b"\0" + (data if data is not None else b"/") + b"\0")
    return digest.hexdigest()


def cache_organizer_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The organizer's reads of a tree (pytest's collection, the import probe, the audit
    and the plan made from it), each made once per state of the tree: a test repeating
    one apply dozens of times pays them once. They read, so the answer is the same."""
    from testing_lib.organizer import audit, collection_truth, execute, organizer
    from testing_lib.organizer.installed_probe import not_installed
    from testing_lib.runner.collect import Collection, collect_only

    collections: dict[tuple[str, ...], Collection] = {}
    probes: dict[tuple[str, ...], dict[str, str]] = {}
    audits: dict[tuple[str, ...], audit.Audit] = {}
    plans: dict[tuple[object, ...], OrganizationPlan] = {}
    real_audit, real_plan = organizer.run_audit, organizer.create_plan

    def cached_collect(*, cwd: Path, **kwargs: Any) -> Collection:
        key = (str(cwd), repr(sorted(kwargs.items())), tree_key(cwd))
        if key not in collections:
            collections[key] = collect_only(cwd=cwd, **kwargs)
        return collections[key].model_copy(deep=True)

    def cached_probe(python: str, names: Iterable[str]) -> dict[str, str]:
        key = (python, *sorted(set(names)))
        if key not in probes:
            probes[key] = not_installed(python, key[1:])
        return dict(probes[key])

    def cached_audit(root: Path, **kwargs: Any) -> audit.Audit:
        key = (str(root), repr(sorted(kwargs.items())), tree_key(root))
        if key not in audits:
            audits[key] = real_audit(root, **kwargs)
        return audits[key]

    def cached_plan(made: audit.Audit, **kwargs: Any) -> OrganizationPlan:
        key = (id(made), repr(sorted(kwargs.items())))
        if key not in plans:
            plans[key] = real_plan(made, **kwargs)
        return plans[key].model_copy(deep=True)

    monkeypatch.setattr(execute, "collect_only", cached_collect)
    monkeypatch.setattr(collection_truth, "collect_only", cached_collect)
    monkeypatch.setattr(audit, "not_installed", cached_probe)
    monkeypatch.setattr(organizer, "run_audit", cached_audit)
    monkeypatch.setattr(organizer, "create_plan", cached_plan)


def cache_codemod_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """`remediate fix http-clients`'s plan (libcst over every file), made once per state of
    the tree: it only reads."""
    import testing_lib.codemods as codemods
    from testing_lib.codemods import CodemodPlan, plan_http_clients

    plans: dict[tuple[str, str], CodemodPlan] = {}

    def cached(target: Path) -> CodemodPlan:
        key = (str(target), tree_key(target if target.is_dir() else target.parent))
        if key not in plans:
            plans[key] = plan_http_clients(target)
        return plans[key]

    # the CLI imports it from the package when the command runs
    monkeypatch.setattr(codemods, "plan_http_clients", cached)


def mount_blocker() -> str | None:
    """Why a tmpfs cannot be mounted here (None: it can)."""
    if sys.platform != "linux":
        return "a tmpfs needs Linux"
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None or shutil.which("umount") is None:
        return "mount/umount are not installed"
    return None


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` (skips the test when it cannot be mounted)."""
    blocker = mount_blocker()
    if blocker is not None:
        pytest.skip(f"no real full filesystem: {blocker}")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"no real full filesystem: mount -t tmpfs failed: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def fill(folder: Path, leave: int) -> Path:
    """Fill `folder`'s filesystem, then free `leave` bytes (a page at least, if non-zero)."""
    filler = folder / "filler.bin"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as stream:
        try:
            while stream.write(chunk):
                pass
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    size = filler.stat().st_size
    with filler.open("r+b") as stream:
        stream.truncate(max(0, size - leave))
    return filler
