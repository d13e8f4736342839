"""One remediation run per target at a time: an advisory lock on TARGET/.remediation/run.lock.

The lock is an `flock`, so the kernel releases it when its holder dies, even by SIGKILL: a
killed run never blocks the next one. It is re-entrant within a process (the full flow and
its phase subflows share it). Another process waits up to `wait_s`, then gets
`TargetBusyError` naming the holder.

Every engine run on a target holds this lock, so when a process newly takes it, any pytest
still running under the target with one of the engine's injected plugins was left behind
by a run whose engine died (SIGKILL gives no chance to clean up): those process groups are
killed before the new run starts.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import psutil

from testing_lib.exceptions import TestInfrastructureError

logger = logging.getLogger(__name__)

LOCK_NAME = "run.lock"
# The engine's injected plugins, as they appear on a pytest command line it started.
_INJECTED = frozenset({"remediation_collector", "remediation_order", "remediation_profile"})
DEFAULT_WAIT_S = float(os.environ.get("REMEDIATION_LOCK_WAIT_S", "60"))
_POLL_S = 0.5

_guard = threading.Lock()
_held: dict[Path, tuple[IO[str], int]] = {}


class TargetBusyError(TestInfrastructureError):
    """Another process is running a remediation on the same target."""


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "unknown process"


def reap_orphans(root: Path) -> list[int]:
    """Kill leftover engine-started pytest process groups under `root`; return their pids.

    Call only with the target's lock newly held: then no live run owns such a process.
    """
    killed: list[int] = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            cmdline = process.info["cmdline"] or []
            cwd = process.info["cwd"]
            if process.pid == os.getpid() or not cwd or not _INJECTED.intersection(cmdline):
                continue
            if Path(cwd) != root and root not in Path(cwd).parents:
                continue
            group = os.getpgid(process.pid)
            logger.warning(
                "killing process group %d left behind under %s by a run that died: %s",
                group,
                root,
                " ".join(cmdline)[:200],
            )
            os.killpg(group, signal.SIGKILL)
            killed.append(process.pid)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return killed


@contextmanager
def target_lock(root: Path, *, wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    key = root.resolve()
    with _guard:
        if key in _held:
            handle, depth = _held[key]
            _held[key] = (handle, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                handle, depth = _held[key]
                _held[key] = (handle, depth - 1)
        return

    path = key / ".remediation" / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TargetBusyError(
                        f"another remediation run is using {key} ({_holder(handle)}); waited "
                        f"{wait_s:g}s: let it finish, or stop it (its lock is {path})"
                    ) from None
                time.sleep(_POLL_S)
        reap_orphans(key)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}")
        handle.flush()
        with _guard:
            _held[key] = (handle, 1)
        try:
            yield
        finally:
            with _guard:
                del _held[key]
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
