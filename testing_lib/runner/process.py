"""Run a command in its own process group, and leave nothing it started running.

The command becomes a session and process-group leader (`start_new_session=True`), so one
signal reaches everything that stays in its group. Descendants that leave the group
(a test that starts a server with its own session) are tracked with psutil while the
command runs, and found afterwards by the family tag every descendant inherits in its
environment (however short-lived its parent was); they are stopped with the group.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from testing_lib.runner.limits import bounded
from testing_lib.runner.lineage import (
    FAMILY_ENV,
    is_alive,
    new_tag,
    run_token_env,
    tagged,
    wait_gone,
)

logger = logging.getLogger(__name__)

POLL_S = 0.5  # how often descendants are recorded while the command runs
SHUTDOWN_GRACE_S = 2.0  # SIGTERM to SIGKILL when the engine itself is stopping

# Set when the whole process is going down (the CLI's SIGTERM/SIGHUP handler): every run,
# in whichever thread it is waited on, stops its process family.
_shutdown = threading.Event()


class RunCancelled(Exception):
    """The run was stopped from outside (its cancel event, or process shutdown)."""


def request_shutdown() -> None:
    """Stop every running command of this process (called from a signal handler)."""
    _shutdown.set()


@dataclass(frozen=True)
class ProcessOutcome:
    pid: int
    returncode: int  # negative: killed by that signal (subprocess convention)
    timed_out: bool


def run_in_process_group(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    output: IO[bytes],
    timeout_s: float,
    grace_s: float = 5.0,
    cancel: threading.Event | None = None,
) -> ProcessOutcome:
    """Run `command` with stdout and stderr into `output`; stop its whole family on timeout.

    On timeout, or when waiting is interrupted (KeyboardInterrupt or any other exception,
    which is re-raised), or when `cancel` (or process shutdown) is set, which raises
    RunCancelled, the group gets SIGTERM, then SIGKILL after `grace_s`. Processes
    the command leaves behind after exiting normally are stopped the same way.
    `timeout_s` is shortened to the deadline of the enclosing `run_limits` block.
    Raises OSError when the command cannot be started, TimeLimitExhausted when that
    deadline has passed.
    """
    timeout_s = bounded(timeout_s)
    family_tag = new_tag()
    popen = subprocess.Popen(
        list(command),
        cwd=cwd,
        # the run token: a later run can reap it if we die; the family tag: we find all of it
        env={**env, **run_token_env(Path(cwd)), FAMILY_ENV: family_tag},
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    family = _Family(popen.pid, family_tag)
    timed_out = False
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            family.record_descendants()
            if _shutdown.is_set() or (cancel is not None and cancel.is_set()):
                raise RunCancelled(f"pid {popen.pid} stopped: its run was cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            try:
                popen.wait(timeout=min(POLL_S, remaining))
                break
            except subprocess.TimeoutExpired:
                continue
    except BaseException as exc:
        logger.warning("Interrupted while waiting for pid %d: stopping its processes", popen.pid)
        # not an error but an interrupt (Ctrl-C, a termination signal): the engine is going
        _stop(family, popen, grace_s if isinstance(exc, Exception) else SHUTDOWN_GRACE_S)
        raise
    if timed_out:
        logger.warning(
            "pid %d still running after %.1f s: stopping its processes", popen.pid, timeout_s
        )
        _stop(family, popen, grace_s)
    else:
        leftovers = family.alive()
        if leftovers:
            logger.warning(
                "pid %d exited but left %d process(es) running (pids %s): stopping them",
                popen.pid,
                len(leftovers),
                ", ".join(str(p.pid) for p in leftovers),
            )
            _stop(family, popen, grace_s)
    returncode = popen.wait()  # immediate: it exited, or was killed above
    return ProcessOutcome(pid=popen.pid, returncode=returncode, timed_out=timed_out)


class _Family:
    """The processes a command started: its process group plus every descendant seen."""

    def __init__(self, pid: int, tag: str | None = None) -> None:
        self.pid = pid
        self.pgid = pid  # a session leader leads its own group
        self.tag = tag
        self._seen: set[psutil.Process] = set()  # psutil identity includes create time

    def record_descendants(self) -> None:
        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            return  # gone already; what it left is in the group or already recorded
        self._seen.update(children)

    def alive(self) -> list[psutil.Process]:
        everyone = self._seen | set(_group_members(self.pgid))
        if self.tag is not None:
            everyone |= set(tagged(FAMILY_ENV, self.tag))
        return sorted((p for p in everyone if is_alive(p)), key=lambda p: p.pid)

    def signal(self, processes: Iterable[psutil.Process], signum: signal.Signals) -> None:
        try:
            os.killpg(self.pgid, signum)
        except (ProcessLookupError, PermissionError):
            pass  # the group is empty (or no longer ours); tracked processes follow
        for process in processes:
            try:
                process.send_signal(signum)  # psutil refuses a reused pid
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass


def _stop(family: _Family, popen: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM the family, SIGKILL what is left after `grace_s`, reap the direct child.

    When the whole process is going down, the grace is at most `SHUTDOWN_GRACE_S`: a
    stopped engine must be gone within seconds."""
    if _shutdown.is_set():
        grace_s = min(grace_s, SHUTDOWN_GRACE_S)
    family.record_descendants()
    targets = family.alive()
    family.signal(targets, signal.SIGTERM)
    survivors = wait_gone(targets, grace_s, reap=popen.poll)
    if survivors:
        logger.warning(
            "%d process(es) ignored SIGTERM for %.1f s (pids %s): sending SIGKILL",
            len(survivors),
            grace_s,
            ", ".join(str(p.pid) for p in survivors),
        )
    family.signal(survivors, signal.SIGKILL)  # the group too: it may have forked since
    try:
        popen.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        logger.error("pid %d did not exit after SIGKILL", popen.pid)
    remaining = wait_gone(family.alive(), grace_s, reap=popen.poll)
    if remaining:
        logger.error(
            "Could not stop %d process(es) started by pid %d: %s",
            len(remaining),
            popen.pid,
            ", ".join(str(p.pid) for p in remaining),
        )


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid:
                members.append(process)
        except (ProcessLookupError, PermissionError):
            continue
    return members


def terminate_process_tree(popen: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """Stop a process started with `start_new_session=True` and everything it started:
    SIGTERM to its group and descendants, SIGKILL to what is left after `grace_s`."""
    family = _Family(popen.pid)
    if popen.poll() is None or family.alive():
        _stop(family, popen, grace_s)


@dataclass(frozen=True)
class CapturedRun:
    returncode: int
    timed_out: bool
    output: str  # stdout and stderr, interleaved


def run_captured(
    command: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout_s: float
) -> CapturedRun:
    """`run_in_process_group` for a short helper command whose output the caller reads.

    Unlike `subprocess.run(timeout=...)`, a timeout stops the command's whole process
    family, not just the direct child. Raises OSError when the command cannot start.
    """
    with tempfile.TemporaryFile() as output:
        outcome = run_in_process_group(
            command, cwd=cwd, env=env, output=output, timeout_s=timeout_s
        )
        output.seek(0)
        text = output.read().decode("utf-8", errors="replace")
    return CapturedRun(returncode=outcome.returncode, timed_out=outcome.timed_out, output=text)
