"""The test harness's own Prefect home is removed when a session ends, even a failing one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

INNER = """
import os
from pathlib import Path

def test_records_its_prefect_home_and_fails():
    home = Path(os.environ["PREFECT_HOME"])
    assert home.is_dir()
    Path(os.environ["HOME_RECORD"]).write_text(str(home), encoding="utf-8")
    assert False, "this session fails on purpose"
"""


def _session(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(INNER, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(tmp_path / "pytest.ini"),
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-q",
            str(tmp_path / "test_inner.py"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_failing_session_removes_the_prefect_home_it_made(tmp_path: Path) -> None:
    temp = tmp_path / "t"
    temp.mkdir()
    record = tmp_path / "home.txt"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"}
    env.update(TMPDIR=str(temp), HOME_RECORD=str(record), PYTHONPATH=str(REPO))

    run = _session(tmp_path, env)

    assert run.returncode == 1, run.stdout + run.stderr
    home = Path(record.read_text(encoding="utf-8"))
    assert home.parent == temp
    assert home.name.startswith("remediation-tests-prefect-")
    assert not home.exists()
    assert list(temp.glob("remediation-tests-prefect-*")) == []


def test_a_given_prefect_home_is_left_alone(tmp_path: Path) -> None:
    given = tmp_path / "given-home"
    given.mkdir()
    record = tmp_path / "home.txt"
    env = dict(os.environ, PREFECT_HOME=str(given), HOME_RECORD=str(record))
    env["PYTHONPATH"] = str(REPO)

    run = _session(tmp_path, env)

    assert run.returncode == 1, run.stdout + run.stderr
    assert Path(record.read_text(encoding="utf-8")) == given
    assert given.is_dir()
