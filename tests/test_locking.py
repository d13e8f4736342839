from __future__ import annotations

import os
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


RUN_HOLDER = """
import os, subprocess, sys, threading
from pathlib import Path
from testing_lib.locking import target_lock
from testing_lib.runner.process import run_in_process_group

root, pid_file = Path(sys.argv[1]), Path(sys.argv[2])
# The engine's pytest runs look like this one: its own session, the collector plugin named.
code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(600)"
command = [sys.executable, "-c", code, str(pid_file), "-p", "remediation_collector"]
with target_lock(root), open(os.devnull, "wb") as sink:
    run = threading.Thread(
        target=run_in_process_group,
        args=(command,),
        kwargs={"cwd": root, "env": dict(os.environ), "output": sink, "timeout_s": 600},
        daemon=True,
    )
    run.start()
    print("held", flush=True)
    run.join()
"""


def start_run(root: Path, pid_file: Path) -> tuple[subprocess.Popen[str], int]:
    """A holder of `root`'s lock running one long child, and that child's pid."""
    holder = subprocess.Popen(
        [sys.executable, "-c", RUN_HOLDER, str(root), str(pid_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    while not pid_file.exists() or not pid_file.read_text():
        assert holder.poll() is None, "the holder died before its child started"
        time.sleep(0.05)
    return holder, int(pid_file.read_text())


def wait_stopped(pid: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while _running(pid):
        assert time.monotonic() < deadline, f"pid {pid} still running"
        time.sleep(0.1)


def test_a_run_left_behind_by_a_dead_engine_is_reaped_by_the_next_one(tmp_path: Path) -> None:
    holder, orphan = start_run(tmp_path, tmp_path / "orphan.pid")
    holder.kill()  # SIGKILL: no chance to stop its child, which has its own session
    holder.wait(timeout=10)
    assert _running(orphan)
    with target_lock(tmp_path, wait_s=5):
        assert not _running(orphan)  # stopped before the new run starts
    wait_stopped(orphan)


def test_a_nested_target_keeps_its_live_run_when_the_outer_one_starts(tmp_path: Path) -> None:
    inner_root = tmp_path / "packages" / "inner"
    inner_root.mkdir(parents=True)
    # The outer target's previous run died: its lock file still names its token.
    dead, dead_child = start_run(tmp_path, tmp_path / "dead.pid")
    dead.kill()
    dead.wait(timeout=10)
    inner, child = start_run(inner_root, tmp_path / "inner.pid")
    try:
        with target_lock(tmp_path, wait_s=5):
            assert _running(child), "the outer run stopped the inner target's live run"
            assert not _running(dead_child)
    finally:
        inner.kill()
        inner.wait(timeout=10)
        psutil.Process(child).kill()
        wait_stopped(child)


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


def test_remediate_isolation_on_a_busy_target_exits_3_at_once(tmp_path: Path, capsys) -> None:
    from cli.main import main

    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    holder = hold_in_another_process(tmp_path)
    try:
        assert main(["isolation", str(tmp_path)]) == 3
    finally:
        holder.kill()
        holder.wait(timeout=10)
    err = capsys.readouterr().err
    assert f"pid {holder.pid}" in " ".join(err.split())


def test_a_released_lock_is_free_for_another_process_and_taken_back(tmp_path: Path) -> None:
    from testing_lib.locking import lock_released

    with target_lock(tmp_path):
        with lock_released(tmp_path):
            holder = hold_in_another_process(tmp_path)  # takes it at once
            holder.kill()
            holder.wait(timeout=10)
        assert not free_for_another_process(tmp_path)  # ours again
        lock_file = tmp_path / ".remediation" / "run.lock"
        assert lock_file.read_text().startswith(f"pid {os.getpid()} ")
    with target_lock(tmp_path, wait_s=0):  # and let go at the end
        pass


def test_taking_a_released_lock_back_waits_for_the_run_that_took_it(tmp_path: Path) -> None:
    from testing_lib.locking import lock_released

    with target_lock(tmp_path):
        holder: subprocess.Popen[str] | None = None
        with pytest.raises(TargetBusyError, match="another remediation run"):
            with lock_released(tmp_path, wait_s=0):
                holder = hold_in_another_process(tmp_path)
        assert holder is not None
        holder.kill()
        holder.wait(timeout=10)
    with target_lock(tmp_path, wait_s=5):  # the outer block left the other run's file alone
        pass


TRY = """
import sys
from pathlib import Path
from testing_lib.locking import TargetBusyError, target_lock
try:
    with target_lock(Path(sys.argv[1]), wait_s=0):
        print("free")
except TargetBusyError:
    print("busy")
"""


def free_for_another_process(root: Path) -> bool:
    tried = subprocess.run(
        [sys.executable, "-c", TRY, str(root)], capture_output=True, text=True, timeout=60
    )
    return tried.stdout.strip() == "free"
