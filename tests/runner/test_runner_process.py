"""run_in_process_group: nothing a command starts outlives it."""

from __future__ import annotations

import sys
from pathlib import Path

import psutil

from testing_lib.runner.process import run_in_process_group


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def _run(tmp_path: Path, code: str, timeout_s: float) -> tuple[int, bool]:
    with (tmp_path / "out.log").open("wb") as log:
        outcome = run_in_process_group(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin"},
            output=log,
            timeout_s=timeout_s,
            grace_s=0.5,
        )
    return outcome.returncode, outcome.timed_out


def test_a_command_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n"
    )
    # The command must be ready (SIGTERM ignored) before its time runs out: on a loaded
    # machine it may not be after 1 s, so the limit grows until it was.
    for timeout_s in (1, 5, 20, 60):
        returncode, timed_out = _run(tmp_path, code, timeout_s=timeout_s)
        if (tmp_path / "out.log").read_text() == "ready\n":
            break

    assert timed_out
    assert returncode == -9
    assert (tmp_path / "out.log").read_text() == "ready\n"


def test_processes_left_behind_after_a_normal_exit_are_stopped(tmp_path: Path) -> None:
    code = (
        "import subprocess, time\n"
        "in_group = subprocess.Popen(['sleep', '600'])\n"
        "own_session = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        "open('pids.txt', 'w').write(f'{in_group.pid} {own_session.pid}')\n"
    )  # exits at once: the runner may never have seen its children while it ran
    returncode, timed_out = _run(tmp_path, code, timeout_s=60)

    assert (returncode, timed_out) == (0, False)
    pids = [int(pid) for pid in (tmp_path / "pids.txt").read_text().split()]
    assert all(_gone(pid) for pid in pids)
