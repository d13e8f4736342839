"""What `remediate` leaves behind: nothing after a SIGKILL, nothing when a target is busy.
(A SIGKILLed `remediate server` is tested with the served deployments, in test_server_e2e.)

These start the real console script, with Prefect's embedded server, in a fresh
PREFECT_HOME; every wait is on an event (a file the target's test writes, a process
exiting), never on the machine's speed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from testing_lib.runner.process import terminate_process_tree
from tests.conftest import PASSING, write_tree

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

STARTUP_S = 300  # a cold Prefect server on a loaded machine
HANGING = """
import pathlib, signal, time

def test_hangs():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as a stuck suite would
    pathlib.Path({started!r}).write_text("started")
    time.sleep(600)
"""


def remediate() -> str:
    script = shutil.which("remediate", path=str(Path(sys.executable).parent))
    assert script, "the remediate console script is not installed next to this python"
    return script


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REMEDIATION_"))}
    return clean | {"PREFECT_HOME": str(tmp_path / "prefect-home")}


def hanging_target(root: Path) -> Path:
    started = root / "started"
    write_tree(
        root,
        {
            "pyproject.toml": "[tool.remediation]\n",
            "tests/unit/test_hangs.py": HANGING.format(started=str(started)),
        },
    )
    return started


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for popen in started:
        terminate_process_tree(popen, grace_s=5)


def start(
    processes: list[subprocess.Popen[bytes]], args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    popen = subprocess.Popen(
        [remediate(), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    processes.append(popen)
    return popen


def wait_for(path: Path, engine: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_S
    while not path.exists():
        assert engine.poll() is None, engine.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


def command_lines(family: list[psutil.Process]) -> list[str]:
    """The command lines of the processes in `family` still running (a short-lived child
    can end, or be a zombie, between listing the family and reading its command line)."""
    lines = []
    for process in family:
        try:
            lines.append(" ".join(process.cmdline()))
        except psutil.NoSuchProcess:  # ZombieProcess included
            continue
    return lines


def assert_all_gone(family: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(family, timeout=60)
    assert alive == [], [(p.pid, p.cmdline()) for p in alive if p.is_running()]


def test_a_sigkilled_run_leaves_no_process_and_a_busy_target_exits_3(
    tmp_path: Path, env: dict[str, str], processes: list[subprocess.Popen[bytes]]
) -> None:
    target = tmp_path / "target"
    started = hanging_target(target)
    engine = start(processes, ["run", str(target), "--phase", "foundation"], env, tmp_path)
    wait_for(started, engine)

    second = start(processes, ["run", str(target), "--phase", "foundation"], env, tmp_path)
    out, err = second.communicate(timeout=STARTUP_S)
    assert second.returncode == 3
    assert out == b""
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert f"pid {engine.pid}" in lines[0]

    family = psutil.Process(engine.pid).children(recursive=True)
    commands = command_lines(family)
    assert any("uvicorn" in c for c in commands), commands  # Prefect's embedded server
    assert any("pytest" in c for c in commands), commands  # the gate
    engine.kill()
    engine.wait(timeout=30)
    assert_all_gone(family)


def test_two_runs_from_one_folder_share_prefect_state_and_print_only_their_verdicts(
    tmp_path: Path, env: dict[str, str], processes: list[subprocess.Popen[bytes]]
) -> None:
    good, broken = tmp_path / "good", tmp_path / "broken"
    write_tree(good, {"pyproject.toml": "[tool.remediation]\n", "tests/unit/test_ok.py": PASSING})
    write_tree(
        broken,
        {
            "pyproject.toml": "[tool.remediation]\n",
            "tests/unit/test_ok.py": PASSING,
            "tests/unit/test_broken.py": "def test_a():\n    pass\n\ndef test_b(:\n    pass\n",
        },
    )
    runs = [  # both start Prefect's embedded server on one fresh PREFECT_HOME at once
        start(processes, ["run", str(root), "--phase", "foundation"], env, tmp_path)
        for root in (good, broken)
    ]
    (good_out, good_err), (broken_out, broken_err) = [
        run.communicate(timeout=STARTUP_S * 2) for run in runs
    ]
    assert runs[0].returncode == 0, (good_out.decode(), good_err.decode())
    assert runs[1].returncode == 1, (broken_out.decode(), broken_err.decode())
    assert good_err == b""  # no log line, no traceback without -v
    assert broken_err == b""
    lines = broken_out.decode().splitlines()
    reasons = [line for line in lines if line.startswith("foundation:")]
    assert reasons == [
        "foundation: 1 collection error(s), first: tests/unit/test_broken.py:4: "
        "SyntaxError: invalid syntax; of the tests that collected, 1 passed, 0 failed, 0 errored"
    ]
    assert "  1 × syntax error — fix the source the traceback names" in broken_out.decode()
    assert lines[-1].startswith("report: ")


def test_a_sigterm_is_final_the_run_is_saved_as_stopped_and_nothing_is_left(
    tmp_path: Path, env: dict[str, str], processes: list[subprocess.Popen[bytes]]
) -> None:
    target = tmp_path / "target"
    started = hanging_target(target)
    saved = tmp_path / "out" / "report.json"
    engine = start(
        processes,
        ["run", str(target), "--from", "foundation", "--report", str(saved)],
        env,
        tmp_path,
    )
    wait_for(started, engine)
    family = psutil.Process(engine.pid).children(recursive=True)

    engine.terminate()
    _, err = engine.communicate(timeout=120)  # within seconds; the bound is for loaded machines

    assert engine.returncode == 128 + signal.SIGTERM, err.decode()
    report = json.loads(saved.read_text(encoding="utf-8"))
    assert report["stopped"] == "SIGTERM"
    phases = {p["name"]: p for p in report["phases"]}
    assert phases["foundation"]["status"] == "stopped"
    assert "while running tests/unit/test_hangs.py::test_hangs" in phases["foundation"]["reason"]
    assert phases["final_validation"]["status"] == "not_run"
    (run_report,) = (target / ".remediation" / "runs").glob("*/report.json")
    assert json.loads(run_report.read_text(encoding="utf-8"))["stopped"] == "SIGTERM"
    assert_all_gone(family)
