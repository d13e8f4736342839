"""One remediation run per target at a time: an advisory lock on TARGET/.remediation/run.lock.

The lock is an `flock`, so the kernel releases it when its holder dies, even by SIGKILL: a
killed run never blocks the next one. It is re-entrant within a process (the full flow and
its phase subflows share it). Another process waits up to `wait_s`, then gets
`TargetBusyError` naming the holder.

Each holder gets a token, written into the lock file and given (as
``REMEDIATION_RUN_TOKEN``) to every process the engine starts for that target. A holder
that ends normally clears the file; one that died (SIGKILL gives no chance to clean up)
leaves its token there, and the next holder stops the processes that carry that token,
and only those: a run on another target, even one nested inside this one, is never
touched.

A run that waits for a person (approval of its proven cures) lets go of the lock while it
waits (`lock_released`) and takes it back to apply what was approved.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import psutil

from testing_lib.exceptions import TestInfrastructureError
from testing_lib.runner.lineage import RUN_TOKEN_ENV, run_token, stop_processes, tagged

logger = logging.getLogger(__name__)

LOCK_NAME = "run.lock"
DEFAULT_WAIT_S = float(os.environ.get("REMEDIATION_LOCK_WAIT_S", "60"))
_POLL_S = 0.5
_TOKEN = re.compile(r"\btoken (?P<token>[0-9a-f]{32})\b")

_guard = threading.Lock()


@dataclass
class _Held:
    handle: IO[str]
    depth: int
    token: str
    locked: bool = True  # False while `lock_released` lets another run have it


_held: dict[Path, _Held] = {}


class TargetBusyError(TestInfrastructureError):
    """Another process is running a remediation on the same target."""


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    text = _TOKEN.sub("", handle.read()).strip()
    return text or "unknown process"


def reap_orphans(root: Path, token: str) -> list[int]:
    """Stop what a dead holder of `root`'s lock (with `token`) left running; return pids.

    Call only with the target's lock newly held: then no live run owns such a process.
    """
    left = tagged(RUN_TOKEN_ENV, token)
    for process in left:
        try:
            command = " ".join(process.cmdline())[:200]
        except psutil.Error:
            command = "?"
        logger.warning(
            "stopping pid %d, left running under %s by a run that died: %s",
            process.pid,
            root,
            command,
        )
    return stop_processes(left, grace_s=1.0)


@contextmanager
def target_lock(root: Path, *, wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    key = root.resolve()
    with _guard:
        held = _held.get(key)
        if held is not None:
            held.depth += 1
    if held is not None:
        try:
            yield
        finally:
            with _guard:
                held.depth -= 1
        return

    path = key / ".remediation" / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        _take(handle, key, path, wait_s)
        handle.seek(0)
        previous = _TOKEN.search(handle.read())
        if previous:
            reap_orphans(key, previous["token"])
        token = uuid.uuid4().hex
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} since {since} token {token}")
        handle.flush()
        os.fsync(handle.fileno())
        with _guard:
            _held[key] = _Held(handle=handle, depth=1, token=token)
        try:
            with run_token(key, token):
                yield
        finally:
            with _guard:
                held = _held.pop(key)
            if held.locked:  # not taken back after a release: the file is another run's
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _take(handle: IO[str], key: Path, path: Path, wait_s: float) -> None:
    """Hold the flock on `handle`, waiting up to `wait_s`, else `TargetBusyError`."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                waited = f"; waited {wait_s:g}s" if wait_s > 0 else ""
                raise TargetBusyError(
                    f"another remediation run is using {key} ({_holder(handle)}){waited}: "
                    f"let it finish, or stop it (its lock is {path})"
                ) from None
            time.sleep(_POLL_S)


@contextmanager
def lock_released(root: Path, *, wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    """Within the block, this process lets go of `root`'s lock (if it holds it), so that
    another run may use the target (e.g. while a run waits for a person); taken back at
    the end, waiting up to `wait_s` for a run that took it meanwhile (`TargetBusyError`).

    Call only with nothing of this run's still running on the target: a run that takes
    the lock meanwhile finds no token in it, and stops nothing of this one."""
    key = root.resolve()
    with _guard:
        held = _held.get(key)
    if held is None or not held.locked:
        yield
        return
    handle = held.handle
    handle.seek(0)
    handle.truncate()
    handle.flush()
    fcntl.flock(handle, fcntl.LOCK_UN)
    held.locked = False
    try:
        yield
    finally:
        _take(handle, key, key / ".remediation" / LOCK_NAME, wait_s)
        held.locked = True
        handle.seek(0)
        previous = _TOKEN.search(handle.read())
        if previous:  # a run that took it meanwhile and died
            reap_orphans(key, previous["token"])
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} since {since} token {held.token}")
        handle.flush()
