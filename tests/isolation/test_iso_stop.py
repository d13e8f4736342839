"""A stopped `remediate isolation` keeps every pair it confirmed, on disk."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.isolation.conftest import MakeSuite

pytestmark = pytest.mark.slow

# The blocker waits for good when it runs after the polluter and before the victim. In the
# two orders of detection it does not (collected: it runs first; reversed: the victim has
# run), so the pair is found and confirmed; the cleaner search then runs polluter, blocker,
# victim, and the run is stopped (signal or time budget) there.
SUITE = {
    "test_stop.py": """
        import os
        import time

        def test_blocks_after_the_polluter():
            while os.environ.get("STOP_SHAPE_POLLUTED") and "STOP_SHAPE_SEEN" not in os.environ:
                time.sleep(0.05)

        def test_pollutes():
            os.environ["STOP_SHAPE_POLLUTED"] = "1"

        def test_victim():
            os.environ["STOP_SHAPE_SEEN"] = "1"
            assert "STOP_SHAPE_POLLUTED" not in os.environ
    """,
}
PAIR = ("test_stop.py::test_pollutes", "test_stop.py::test_victim")
DEADLINE_S = 180.0  # generous: only a broken run ever waits this long


def remediate() -> str:
    script = shutil.which("remediate", path=str(Path(sys.executable).parent))
    assert script, "the remediate console script is not installed next to this python"
    return script


def start(root: Path, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REMEDIATION_"))}
    return subprocess.Popen(
        [remediate(), "isolation", str(root), "--orders", "2", "--jobs", "1", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def confirmed_pairs(root: Path) -> list[tuple[str, str]]:
    pairs = []
    for journal in (root / ".remediation" / "isolation").glob("*-confirmed.jsonl"):
        for line in journal.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            pairs.append((record["polluter"], record["victim"]))
    return pairs


def wait_confirmed(root: Path, engine: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not confirmed_pairs(root):
        assert engine.poll() is None, engine.communicate()
        assert time.monotonic() < deadline, "no pair was confirmed"
        time.sleep(0.1)


def finish(engine: subprocess.Popen[str]) -> tuple[int, str, str]:
    family = [engine.pid]
    try:
        family += [p.pid for p in psutil.Process(engine.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        pass
    try:
        out, err = engine.communicate(timeout=DEADLINE_S)
    finally:
        for pid in family:  # never leave a blocked test behind, whatever failed
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    return engine.returncode, out, err


def test_ctrl_c_keeps_the_confirmed_pairs(make_suite: MakeSuite) -> None:
    root = make_suite(SUITE)
    engine = start(root)
    wait_confirmed(root, engine)

    engine.send_signal(signal.SIGINT)
    code, _, err = finish(engine)

    assert code == 130, err
    assert "the pairs confirmed so far are in" in " ".join(err.split())
    assert confirmed_pairs(root) == [PAIR]


@pytest.mark.parametrize("budget", ["20"])
def test_a_spent_time_budget_keeps_the_confirmed_pairs(make_suite: MakeSuite, budget: str) -> None:
    root = make_suite(SUITE)
    engine = start(root, "--time-budget", budget)

    code, out, err = finish(engine)

    assert code == 1, err
    text = " ".join(out.split())
    assert "test_stop.py::test_blocks_after_the_polluter did not finish within" in text
    assert "(victim, confirmed)" in text
    assert confirmed_pairs(root) == [PAIR]
