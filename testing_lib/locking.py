"""One remediation run per target at a time: an advisory lock on TARGET/.remediation/run.lock.

The lock is an `flock`, so the kernel releases it when its holder dies, even by SIGKILL: a
killed run never blocks the next one. It is re-entrant within a process (the full flow and
its phase subflows share it). Another process waits up to `wait_s`, then gets
`TargetBusyError` naming the holder.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from testing_lib.exceptions import TestInfrastructureError

LOCK_NAME = "run.lock"
DEFAULT_WAIT_S = float(os.environ.get("REMEDIATION_LOCK_WAIT_S", "60"))
_POLL_S = 0.5

_guard = threading.Lock()
_held: dict[Path, tuple[IO[str], int]] = {}


class TargetBusyError(TestInfrastructureError):
    """Another process is running a remediation on the same target."""


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "unknown process"


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
