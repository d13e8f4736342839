"""run_pytest when tests hang: the run's time limit and pytest-timeout's per-test limit."""

from __future__ import annotations

import _thread
import signal
import threading

import psutil
import pytest

from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest


def _gone(pid: int) -> bool:
    """Exited (a zombie waiting for a non-reaping init counts as exited)."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def test_a_hung_run_is_stopped_with_its_results_and_no_survivors(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_hang="""
        import os
        import subprocess
        import time

        def test_first():
            pass

        def test_second():
            pass

        def test_hangs():
            with open("pids.txt", "w") as out:
                in_group = subprocess.Popen(["sleep", "600"])
                own_session = subprocess.Popen(["sleep", "600"], start_new_session=True)
                out.write(f"{os.getpid()} {in_group.pid} {own_session.pid}\\n")
            time.sleep(600)

        def test_never_reached():
            pass
        """
    )
    # Time must run out inside test_hangs: on a loaded machine pytest may not reach it in
    # 3 s, so the limit grows until the hung test had started (it writes pids.txt).
    for timeout_s in (3, 10, 30, 90):
        suite = run_pytest(cwd=pytester.path, selection=["test_hang.py"], timeout_s=timeout_s)
        pids_file = pytester.path / "pids.txt"
        if pids_file.exists() and len(pids_file.read_text().split()) == 3:
            break

    assert suite.timed_out
    assert suite.running_test == "test_hang.py::test_hangs"
    assert [(r.test_name, r.status) for r in suite.results] == [
        ("test_hang.py::test_first", TestStatus.PASSED),
        ("test_hang.py::test_second", TestStatus.PASSED),
    ]
    assert suite.exit_code is not None
    assert suite.exit_code < 0  # killed by a signal
    pids = [int(pid) for pid in (pytester.path / "pids.txt").read_text().split()]
    assert len(pids) == 3
    assert all(_gone(pid) for pid in pids), [psutil.Process(p) for p in pids if not _gone(p)]


def test_a_per_test_timeout_fails_only_the_hung_test(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_slow="""
        import time

        def test_before():
            pass

        def test_hangs():
            time.sleep(60)

        def test_after():
            pass
        """
    )
    suite = run_pytest(
        cwd=pytester.path, selection=["test_slow.py"], timeout_s=60, test_timeout_s=1
    )

    assert not suite.timed_out
    assert suite.exit_code == 1
    assert [(r.test_name.split("::")[1], r.status) for r in suite.results] == [
        ("test_before", TestStatus.PASSED),
        ("test_hangs", TestStatus.FAILED),
        ("test_after", TestStatus.PASSED),
    ]
    assert "Timeout" in (suite.results[1].error_message or "")
    assert "--timeout=1" in suite.command


def test_an_interrupted_wait_stops_the_run_and_reraises(pytester: pytest.Pytester) -> None:
    """Ctrl-C reaches the engine while a test runs: the run stops, the interrupt goes on."""
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_interrupts="""
        import os
        import threading

        def test_waits_for_ctrl_c_in_the_runner():
            with open("pid.tmp", "w") as out:
                out.write(str(os.getpid()))
            os.rename("pid.tmp", "pid.txt")
            threading.Event().wait()
        """
    )
    pid_file = pytester.path / "pid.txt"
    started = threading.Event()

    def press_ctrl_c() -> None:  # in the engine's main thread, as a terminal's SIGINT is
        while not pid_file.exists():
            if started.wait(0.05):
                return
        _thread.interrupt_main(signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    # Python's own Ctrl-C handler, whatever an earlier test of this process left installed
    # (in the full suite something leaves SIGINT unhandled, and the press would do nothing)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_pytest(cwd=pytester.path, selection=["test_interrupts.py"], timeout_s=120)
    finally:
        started.set()
        presser.join()
        signal.signal(signal.SIGINT, previous)

    assert _gone(int(pid_file.read_text()))
