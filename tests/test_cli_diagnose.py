"""`remediate isolation` and `remediate perf` on plain pytest projects (no Prefect)."""

from __future__ import annotations

import json
from pathlib import Path

from cli.main import main

POLLUTED = """
import os

def test_a_sets_flag():
    os.environ["REMEDIATION_DEMO_FLAG"] = "on"

def test_b_expects_no_flag():
    assert "REMEDIATION_DEMO_FLAG" not in os.environ

def test_c_independent():
    assert 1 + 1 == 2
"""


def test_isolation_finds_the_victim_of_a_plain_suite(tmp_path: Path) -> None:
    project = tmp_path / "plain"
    project.mkdir()
    (project / "test_polluted.py").write_text(POLLUTED)
    report = tmp_path / "iso.json"
    assert main(["isolation", str(project), "--seed", "7", "--json", str(report)]) == 1
    data = json.loads(report.read_text())
    (victim,) = data["order_dependent"]
    assert victim["test"] == "test_polluted.py::test_b_expects_no_flag"
    assert victim["kind"] == "victim"
    assert "test_polluted.py::test_a_sets_flag" in json.dumps(victim)
    assert data["isolation_score"] < 100


def test_isolation_of_a_clean_suite_exits_0(tmp_path: Path) -> None:
    project = tmp_path / "clean"
    project.mkdir()
    (project / "test_clean.py").write_text("def test_x():\n    pass\n\ndef test_y():\n    pass\n")
    assert main(["isolation", str(project), "--orders", "2"]) == 0


def test_isolation_refuses_a_missing_target(tmp_path: Path, capsys) -> None:
    assert main(["isolation", str(tmp_path / "absent")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_perf_without_monitored_runs_says_how_to_get_them(tmp_path: Path, capsys) -> None:
    assert main(["perf", str(tmp_path)]) == 0
    assert "--remediation-perf" in capsys.readouterr().out.replace("\n", "")
