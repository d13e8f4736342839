"""Which processes the engine started: tags carried in their environment.

Every process inherits its parent's environment, so two variables mark what the engine
started, however deep and whatever process group it ends up in:

- ``REMEDIATION_ENGINE``: one engine process (a `remediate` command). Its watchdog stops
  every process carrying the tag when the engine dies, even by SIGKILL.
- ``REMEDIATION_RUN_TOKEN``: one holder of a target's run lock. The next holder stops
  what a dead holder left running on *that* target, and nothing else (a target nested in
  another has its own lock and its own tokens).

- ``REMEDIATION_PROCESS_FAMILY``: one command the engine ran; what it leaves running after
  it exits is found by this tag and stopped.

A process's environment as the kernel shows it (``/proc/PID/environ``) is the one it was
started with, so a tag set in this process's ``os.environ`` marks only its children.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)

ENGINE_ENV = "REMEDIATION_ENGINE"
FAMILY_ENV = "REMEDIATION_PROCESS_FAMILY"  # one command the engine ran, and its descendants
RUN_TOKEN_ENV = "REMEDIATION_RUN_TOKEN"  # noqa: S105 - a variable name, not a secret


_runs_guard = threading.Lock()
_runs: dict[Path, str] = {}  # target root -> token of the run lock this process holds


@contextmanager
def run_token(root: Path, token: str) -> Iterator[None]:
    """While the block runs, processes started for `root` carry `token`."""
    with _runs_guard:
        _runs[root] = token
    try:
        yield
    finally:
        with _runs_guard:
            _runs.pop(root, None)


def run_token_env(cwd: Path) -> dict[str, str]:
    """The token of the run that covers `cwd` (the nearest target root at or above it;
    else the only run of this process), as environment for a child started there."""
    with _runs_guard:
        if not _runs:
            return {}
        resolved = cwd.resolve()
        covering = [root for root in _runs if root == resolved or root in resolved.parents]
        if covering:
            return {RUN_TOKEN_ENV: _runs[max(covering, key=lambda r: len(r.parts))]}
        if len(_runs) == 1:
            return {RUN_TOKEN_ENV: next(iter(_runs.values()))}
        return {}


def new_tag() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


def ancestry(pid: int | None = None) -> frozenset[int]:
    """`pid` (this process by default) and every process above it: the shell, runner or
    service that started it. A sweep never signals these, nor their process groups: they
    were not started by what the sweep cleans up after."""
    pid = os.getpid() if pid is None else pid
    try:
        return frozenset({pid, *(p.pid for p in psutil.Process(pid).parents())})
    except psutil.Error:
        return frozenset({pid})


def tagged(name: str, value: str, *, exclude: Iterable[int] = ()) -> list[psutil.Process]:
    """Live processes started with `name=value` in their environment, and their descendants;
    never this process or its ancestors, nor anything in `exclude`."""
    skip = {*ancestry(), *exclude}
    found: dict[int, psutil.Process] = {}
    for process in psutil.process_iter():
        if process.pid in skip:
            continue
        try:
            if process.environ().get(name) != value:
                continue
            found[process.pid] = process
            for child in process.children(recursive=True):
                if child.pid not in skip:
                    found[child.pid] = child
        except (psutil.Error, OSError):
            continue  # gone, a zombie, or not ours to read
    return sorted(found.values(), key=lambda p: p.pid)


def stop_processes(
    processes: list[psutil.Process], *, grace_s: float = 3.0, spare: Iterable[int] = ()
) -> list[int]:
    """SIGTERM `processes`, and the process groups they lead, SIGKILL what is left after
    `grace_s`. Returns the pids that were signalled.

    Only groups led by one of `processes` are signalled: a group led by anyone else (the
    shell that started the engine, a test runner) is not ours to kill. Nor is a group
    holding this process, one of its ancestors or a pid in `spare`; the processes found
    in such a group are signalled one by one.
    """
    spared = {*ancestry(), *spare}
    processes = [p for p in processes if p.pid not in spared]
    if not processes:
        return []
    spared_groups = set()
    for pid in spared:
        try:
            spared_groups.add(os.getpgid(pid))
        except (ProcessLookupError, PermissionError):
            continue
    groups: set[int] = set()
    for process in processes:
        try:
            if os.getpgid(process.pid) == process.pid and process.pid not in spared_groups:
                groups.add(process.pid)
        except (ProcessLookupError, PermissionError):
            continue
    _signal(processes, groups, signal.SIGTERM)
    alive = wait_gone(processes, grace_s)
    if alive:
        logger.warning(
            "%d process(es) ignored SIGTERM (pids %s): sending SIGKILL",
            len(alive),
            ", ".join(str(p.pid) for p in alive),
        )
    _signal(alive, groups, signal.SIGKILL)
    wait_gone(alive, grace_s)
    return [p.pid for p in processes]


def is_alive(process: psutil.Process) -> bool:
    """Running and not a zombie (an exited process its parent has not reaped yet)."""
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def wait_gone(
    processes: Iterable[psutil.Process],
    timeout_s: float,
    *,
    reap: Callable[[], object] | None = None,
) -> list[psutil.Process]:
    """Wait until `processes` have exited; return those still running after `timeout_s`.
    A zombie has exited (only its parent's reaping is left); `reap` reaps what this
    process started itself."""
    deadline = time.monotonic() + timeout_s
    alive = list(processes)
    while True:
        if reap is not None:
            reap()
        alive = [p for p in alive if is_alive(p)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def _signal(processes: list[psutil.Process], groups: set[int], signum: signal.Signals) -> None:
    for group in groups:
        try:
            os.killpg(group, signum)
        except (ProcessLookupError, PermissionError):
            pass
    for process in processes:
        try:
            process.send_signal(signum)  # psutil refuses a pid that was reused
        except psutil.Error:
            pass
