"""One pass: a phase runs its selection once, and its observing checks judge that run.

Every pytest process the target starts appends to a file from its own conftest, so the
tests count real runs, not calls into the engine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from flows.phase import run_phase
from testing_lib.report import CheckStatus, PhaseReport, PhaseStatus, RemediationReport
from tests.http.conftest import DEMO_APP, write_files

pytestmark = [pytest.mark.slow, pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

COUNTING_CONFTEST = """
import os


def pytest_sessionstart(session):
    with open(os.path.join(os.path.dirname(__file__), "sessions.log"), "a") as log:
        log.write("session\\n")
"""

LEAK_AND_FETCH = """
import httpx

from demo_app import app, get_greeting


def test_forgets_to_undo():
    app.dependency_overrides[get_greeting] = lambda: "stale"


def test_fetch_falls_back_quietly():
    try:
        httpx.get("https://api.fda.gov/device/510k.json")
    except Exception:
        pass
"""

# Passes in file order, fails when the victim runs first: only another order shows it.
ORDER_DEPENDENT = """
STATE = {}


def test_a_sets_up():
    STATE["ready"] = True


def test_b_relies_on_it():
    assert STATE.get("ready")
"""


def _target(tmp_path: Path, files: dict[str, str]) -> Path:
    pyproject = (
        "[tool.pytest.ini_options]\n"
        'pythonpath = ["."]\n'
        "[tool.remediation]\n"
        f'python = "{sys.executable}"\n'
        'app = "demo_app:app"\n'
        "[tool.remediation.phases.final_validation]\n"
        'paths = ["tests"]\n'
    )
    return write_files(
        tmp_path / "target",
        {
            "pyproject.toml": pyproject,
            "demo_app.py": DEMO_APP,
            "conftest.py": COUNTING_CONFTEST,
            **files,
        },
    )


def _sessions(root: Path) -> int:
    log = root / "sessions.log"
    return len(log.read_text().splitlines()) if log.is_file() else 0


def _report(outcome: Any) -> PhaseReport:
    report = getattr(outcome, "report", outcome)
    assert isinstance(report, PhaseReport)
    return report


def test_final_validation_judges_leaks_and_offline_use_from_its_one_gate_run(
    tmp_path: Path,
) -> None:
    root = _target(tmp_path, {"tests/test_leaky.py": LEAK_AND_FETCH})

    state = run_phase(target=str(root), phase="final_validation", return_state=True)
    report = _report(state.result(raise_on_failure=False))

    assert _sessions(root) == 1  # the gate; every check read its records
    assert report.status is PhaseStatus.FAILED
    suite = report.suite
    assert suite is not None
    outcomes = {r.test_name: r.status.value for r in suite.results}
    assert outcomes == {  # a leak warns; the library's network guard fails the caller
        "tests/test_leaky.py::test_forgets_to_undo": "passed",
        "tests/test_leaky.py::test_fetch_falls_back_quietly": "error",
    }
    checks = {check.name: check for check in report.checks}
    leaks, ci = checks["dependency-override leaks"], checks["CI profiles"]
    assert (leaks.status, leaks.source) == (CheckStatus.FAILED, "gate")
    assert [leak["nodeid"] for leak in leaks.data["leaks"]] == [
        "tests/test_leaky.py::test_forgets_to_undo"
    ]
    assert (ci.status, ci.source) == (CheckStatus.FAILED, "gate")
    assert ci.data["offline_attempts"] == {
        "tests/test_leaky.py::test_fetch_falls_back_quietly": ["api.fda.gov:443"]
    }
    assert report.deep_checks_not_run == ["isolation validation"]


def test_order_dependence_passes_a_daytime_run_and_fails_a_deep_one(tmp_path: Path) -> None:
    root = _target(tmp_path, {"tests/test_order.py": ORDER_DEPENDENT})
    light = root / "light.json"
    deep = root / "deep.json"

    assert main(["run", str(root), "--phase", "final_validation", "--report", str(light)]) == 0
    daytime = RemediationReport.model_validate_json(light.read_text()).phases[0]
    assert _sessions(root) == 1
    assert daytime.deep_checks_not_run == ["isolation validation"]
    assert {c.name: c.source for c in daytime.checks}["CI profiles"] == "gate"

    args = ["run", str(root), "--phase", "final_validation", "--deep", "--report", str(deep)]
    assert main(args) == 1
    (phase,) = RemediationReport.model_validate_json(deep.read_text()).phases
    checks = {check.name: check for check in phase.checks}
    isolation = checks["isolation validation"]
    assert (isolation.status, isolation.source) == (CheckStatus.FAILED, "deep")
    assert "tests/test_order.py::test_b_relies_on_it" in isolation.details
    assert checks["CI profiles"].source == "deep"  # real profile runs, not the derivation
    assert phase.deep_checks_not_run == []
    assert _sessions(root) > 3  # the gate, orders and profiles ran the selection again
