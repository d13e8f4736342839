from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from testing_lib.locking import TargetBusyError, target_lock

HOLDER = """
import sys, time
from pathlib import Path
from testing_lib.locking import target_lock
with target_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(120)
"""


def hold_in_another_process(root: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    with target_lock(tmp_path), target_lock(tmp_path, wait_s=0):
        pass
    with target_lock(tmp_path, wait_s=0):  # released after the outer block
        pass


def test_a_second_process_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    holder = hold_in_another_process(tmp_path)
    try:
        with (
            pytest.raises(TargetBusyError, match=f"pid {holder.pid}"),
            target_lock(tmp_path, wait_s=1),
        ):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_killed_holder_never_blocks_the_next_run(tmp_path: Path) -> None:
    holder = hold_in_another_process(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    with target_lock(tmp_path, wait_s=5):  # raises TargetBusyError if the lock were stuck
        assert (tmp_path / ".remediation" / "run.lock").read_text().startswith("pid ")


def test_a_run_left_behind_by_a_dead_engine_is_reaped_by_the_next_one(tmp_path: Path) -> None:
    # An engine killed with SIGKILL leaves its pytest (own session) running, reparented.
    pid_file = tmp_path / "orphan.pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    script = f'cd {tmp_path} && setsid {sys.executable} -c "{code}" -p remediation_collector &'
    subprocess.run(["bash", "-c", script], check=True, timeout=30)
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the stand-in orphan never started"
        time.sleep(0.05)
    orphan = int(pid_file.read_text())
    with target_lock(tmp_path, wait_s=5):
        pass
    deadline = time.monotonic() + 10
    while _running(orphan):
        assert time.monotonic() < deadline, f"orphan {orphan} still running"
        time.sleep(0.1)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a process may vanish between two questions about it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_unrelated_processes_under_the_target_are_left_alone(tmp_path: Path) -> None:
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], cwd=tmp_path
    )
    try:
        with target_lock(tmp_path, wait_s=5):
            pass
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait(timeout=10)
