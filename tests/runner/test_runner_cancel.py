from __future__ import annotations

import threading
from pathlib import Path

import psutil
import pytest

from testing_lib.runner import run_pytest
from testing_lib.runner.process import RunCancelled

HANGING = """
import os, time
from pathlib import Path

def test_hangs():
    Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
    time.sleep(600)
"""


def test_a_run_cancelled_from_another_thread_stops_its_pytest(tmp_path: Path) -> None:
    (tmp_path / "test_hang.py").write_text(HANGING)
    pid_file = tmp_path / "pid"
    cancel = threading.Event()

    def cancel_once_started() -> None:
        while not pid_file.exists():
            if cancel.wait(0.1):
                return
        cancel.set()

    watcher = threading.Thread(target=cancel_once_started)
    watcher.start()
    try:
        with pytest.raises(RunCancelled):
            run_pytest(
                cwd=tmp_path,
                selection=["test_hang.py"],
                timeout_s=120,
                env={"PID_FILE": str(pid_file)},
                cancel=cancel,
            )
    finally:
        cancel.set()
        watcher.join()
    pid = int(pid_file.read_text())
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
