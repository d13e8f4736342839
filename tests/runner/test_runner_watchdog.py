"""What an engine starts dies with it, even when the engine is killed with SIGKILL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from testing_lib.runner.lineage import ENGINE_ENV

ENGINE = """
import subprocess, sys, time
from testing_lib.runner.watchdog import engine_watchdog

with engine_watchdog():
    # Like Prefect's server or a pytest run: a child in its own session, ignoring SIGTERM.
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    # And one in the engine's own group, which it shares with whoever started it (here,
    # the test's pytest): the watchdog must stop this child, never the group.
    sibling = subprocess.Popen([sys.executable, "-c", code])
    print(child.pid, flush=True)
    if sys.argv[1] == "hang":
        time.sleep(600)
    for process in (child, sibling):
        process.kill()
        process.wait()
"""


def _engine(mode: str) -> tuple[subprocess.Popen[str], int, list[psutil.Process]]:
    engine = subprocess.Popen(
        [sys.executable, "-c", ENGINE, mode], stdout=subprocess.PIPE, text=True
    )
    assert engine.stdout is not None
    child = int(engine.stdout.readline())
    engine.stdout.close()  # it prints nothing more
    family = psutil.Process(engine.pid).children(recursive=True)
    return engine, child, family


def _gone(processes: list[psutil.Process], timeout_s: float = 60) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=timeout_s)
    return alive


def test_a_sigkilled_engine_leaves_no_process_behind() -> None:
    engine, child, family = _engine("hang")
    assert child in {p.pid for p in family}
    assert len(family) == 3  # two children and the watchdog
    engine.kill()
    engine.wait(timeout=10)
    assert _gone(family) == []


def test_an_engine_that_ends_normally_releases_its_watchdog(tmp_path: Path) -> None:
    engine, _, family = _engine("exit")
    assert engine.wait(timeout=60) == 0
    assert _gone(family) == []


def test_a_process_outside_the_engine_is_left_alone() -> None:
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    try:
        engine, _, family = _engine("hang")
        engine.kill()
        engine.wait(timeout=10)
        assert _gone(family) == []
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait(timeout=10)


def test_the_sweep_spares_whoever_started_the_engine_and_its_group() -> None:
    """Even where the starter carries the engine's tag (the worst case), a sweep stops the
    tagged processes the engine started and leaves the starter and its group alone."""
    tag = "starter-test-tag"
    env = {**os.environ, ENGINE_ENV: tag}
    sleep = [sys.executable, "-c", "import time; time.sleep(600)"]
    starter = subprocess.Popen(sleep, env=env, start_new_session=True)
    started = subprocess.Popen(sleep, env=env, start_new_session=True)
    try:
        subprocess.run(
            # parent 1: never this watchdog's parent, so it sweeps at once
            [sys.executable, "-m", "testing_lib.runner.watchdog", "1", tag, str(starter.pid)],
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=True,
        )
        assert started.wait(timeout=60) is not None  # the sweep ran
        assert starter.poll() is None
    finally:
        for process in (starter, started):
            process.kill()
            process.wait(timeout=10)
