"""The real flows, on generated targets, under one session-scoped Prefect test harness."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from cli.main import main
from flows.phase import run_phase
from flows.remediation import full_remediation
from testing_lib.report import PhaseStatus, RemediationReport
from tests.conftest import FAILING

pytestmark = [pytest.mark.slow, pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def unwrap(outcome: object) -> Any:
    """The report a run ended with: returned when it passed, carried by the exception if not."""
    return getattr(outcome, "report", outcome)


def statuses(report: RemediationReport) -> dict[str, str]:
    return {p.name: p.status.value for p in report.phases}


def only_run(root: Path) -> Path:
    (run,) = (root / ".remediation" / "runs").iterdir()
    return run


def test_all_four_phases_pass_load_the_config_once_and_the_report_is_saved(
    make_target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One passing four-phase run (through the CLI, as a user starts it) proves the phases
    pass, the target config is loaded once for the whole run, and the report is saved."""
    import flows.run_config
    import testing_lib.config.target as target_module

    loads: list[object] = []
    real = target_module.load_target_config

    def counting(*args: Any, **kwargs: Any) -> Any:
        loads.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(target_module, "load_target_config", counting)
    monkeypatch.setattr(flows.run_config, "load_target_config", counting)
    root = make_target()
    assert main(["run", str(root)]) == 0  # 0: the flow run completed
    assert loads == [root]
    report = RemediationReport.model_validate_json((only_run(root) / "report.json").read_text())
    assert statuses(report) == dict.fromkeys(
        ["foundation", "core_infrastructure", "service_integration", "final_validation"], "passed"
    )
    assert report.phases[-1].suite is not None
    assert report.phases[-1].suite.passed_tests == 6  # the whole suite
    assert report.phases[0].checks[0].name == "test environment"
    (performance,) = [c for c in report.phases[-1].checks if c.name == "performance thresholds"]
    assert performance.data["run_id"] == f"{report.run_id}-final_validation"  # its own gate's
    assert performance.data["tests"] == 6


def test_a_phase_with_nothing_selected_fails(make_target) -> None:
    root = make_target(
        pyproject="[tool.remediation.phases.foundation]\nmarkers = 'nonexistent_marker'\n"
    )
    report = unwrap(
        full_remediation(target=str(root), phases=["foundation"], return_state=True).result(
            raise_on_failure=False
        )
    )
    (phase,) = report.phases
    assert phase.status is PhaseStatus.FAILED
    assert phase.reason.startswith("selected nothing")


def test_a_flat_suite_is_gated_by_classification(make_target) -> None:
    root = make_target(
        {
            "tests/test_math.py": "def test_adds():\n    assert 1 + 1 == 2\n",
            "tests/test_client.py": "import httpx\n\ndef test_client():\n"
            "    transport = httpx.MockTransport(lambda request: httpx.Response(200))\n"
            "    assert httpx.Client(transport=transport).get('http://app/').status_code == 200\n",
        },
        pyproject="",
        base=False,
    )

    report = unwrap(full_remediation(target=str(root), return_state=True).result())

    assert statuses(report) == dict.fromkeys(
        ("foundation", "core_infrastructure", "service_integration", "final_validation"),
        "passed",
    )
    by_name = {p.name: p for p in report.phases}
    assert by_name["foundation"].suite.selection == ["tests/test_math.py"]
    assert by_name["core_infrastructure"].suite.selection == ["tests/test_client.py"]
    assert by_name["service_integration"].reason.startswith("nothing to gate: no test file")
    assert by_name["final_validation"].suite.executed_tests == 2


def test_a_conftest_that_does_not_import_errors_the_phase(make_target) -> None:
    root = make_target({"tests/conftest.py": "import module_that_is_not_installed\n"})
    report = unwrap(
        full_remediation(target=str(root), return_state=True).result(raise_on_failure=False)
    )
    assert statuses(report)["foundation"] == "errored"
    assert "module_that_is_not_installed" in report.phases[0].reason
    assert statuses(report)["core_infrastructure"] == "not_run"


HANGING = """
import os, subprocess, time
from pathlib import Path

def test_a_first():
    pass

def test_b_hangs():
    child = subprocess.Popen(["sleep", "600"])
    Path(os.environ["PID_FILE"]).write_text(f"{os.getpid()} {child.pid}")
    time.sleep(600)

def test_c_never_reached():
    pass
"""


def test_a_hanging_test_errors_the_phase_and_leaves_no_process(
    make_target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "pids"
    monkeypatch.setenv("PID_FILE", str(pid_file))
    root = make_target(
        {"tests/unit/test_unit_hang.py": HANGING},
        pyproject="[tool.remediation.phases.foundation]\ntimeout_s = 8\n",
    )
    report = unwrap(
        full_remediation(target=str(root), return_state=True).result(raise_on_failure=False)
    )
    foundation = report.phases[0]
    assert foundation.status is PhaseStatus.ERRORED
    assert "tests/unit/test_unit_hang.py::test_b_hangs" in foundation.reason
    kept = [r.test_name for r in foundation.suite.results]  # results before the hang are kept
    assert kept == ["tests/unit/test_unit_hang.py::test_a_first"]
    pids = [int(p) for p in pid_file.read_text().split()]
    deadline = time.monotonic() + 5
    while any(
        psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids
    ):
        assert time.monotonic() < deadline, f"orphans left: {pids}"
        time.sleep(0.1)
    assert statuses(report)["core_infrastructure"] == "not_run"
    for pid in pids:  # belt and braces: never leave a sleeper behind on failure either
        if psutil.pid_exists(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_per_test_timeout_fails_one_test_and_the_phase_goes_on(make_target) -> None:
    root = make_target(
        {"tests/unit/test_unit_slow.py": "import time\n\ndef test_sleeps():\n    time.sleep(60)\n"},
        pyproject=(
            "[tool.remediation.phases.foundation]\ntest_timeout_s = 2\nmin_success_rate = 50\n"
        ),
    )
    report = unwrap(
        full_remediation(target=str(root), phases=["foundation"], return_state=True).result(
            raise_on_failure=False
        )
    )
    suite = report.phases[0].suite
    assert (suite.passed_tests, suite.failed_tests) == (2, 1)
    assert not suite.timed_out
    assert report.phases[0].status is PhaseStatus.PASSED


def test_the_phase_flow_runs_alone_and_saves_its_own_report(make_target) -> None:
    root = make_target()
    report = run_phase(target=str(root), phase="service_integration")
    assert report.status is PhaseStatus.PASSED
    saved = RemediationReport.model_validate_json((only_run(root) / "report.json").read_text())
    assert [p.name for p in saved.phases] == ["service_integration"]


def _interpreter_without_this_project() -> str | None:
    """The venv's base interpreter, when it has pytest but not testing_lib."""
    import subprocess
    import sys

    base = getattr(sys, "_base_executable", None)
    if not base or sys.prefix == sys.base_prefix:
        return None
    probe = (
        "import importlib.util as u; "
        "print(bool(u.find_spec('pytest')), bool(u.find_spec('testing_lib')))"
    )
    out = subprocess.run(
        [base, "-I", "-c", probe], capture_output=True, text=True, timeout=30, cwd="/"
    ).stdout
    return base if out.split() == ["True", "False"] else None


def test_a_target_interpreter_without_this_project_is_gated(make_target) -> None:
    python = _interpreter_without_this_project()
    if python is None:
        pytest.skip("no interpreter with pytest but without this project on this machine")
    root = make_target(pyproject=f"[tool.remediation]\npython = '{python}'\n")
    report = full_remediation(target=str(root), phases=["foundation"], return_state=True).result()
    (phase,) = report.phases
    assert phase.status is PhaseStatus.PASSED
    assert phase.suite.passed_tests == 2
    assert phase.checks[0].status.value == "warning"
    assert "does not have testing_lib" in phase.checks[0].details


def test_each_phase_publishes_a_summary_and_a_failure_table(make_target) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    root = make_target({"tests/unit/test_unit_broken.py": FAILING}, name="artifact-target")
    full_remediation(target=str(root), phases=["foundation"], return_state=True)
    keys = ["artifact-target-foundation-gate", "artifact-target-foundation-failures"]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
        )
    by_type = {a.type: a for a in artifacts}
    assert set(by_type) == {"markdown", "table"}
    assert "foundation: failed" in str(by_type["markdown"].data)
    assert "test_unit_broken.py::test_broken" in str(by_type["table"].data)


def test_a_failed_core_stops_the_run_and_a_rerun_reuses_only_what_passed(
    make_target, tmp_path: Path
) -> None:
    """The first run and the reruns of one phase or from one phase go through the CLI, as a
    user starts them: its exit codes and JSON report match the run."""
    root = make_target({"tests/integration/api/test_api_broken.py": FAILING})
    out = tmp_path / "reports" / "run.json"
    assert main(["run", str(root), "--report", str(out)]) == 1
    data = json.loads(out.read_text())
    assert set(data) >= {"target", "started_at", "finished_at", "phases"}
    assert set(data["phases"][1]) >= {"name", "status", "reason", "suite", "checks"}
    first = RemediationReport.model_validate(data)
    assert statuses(first) == {  # a failing core phase stops the later phases:
        "foundation": "passed",
        "core_infrastructure": "failed",
        "service_integration": "not_run",
        "final_validation": "not_run",
    }
    core = first.phases[1]
    assert "test_api_broken.py::test_broken" in core.reason
    assert core.suite.failures()[0].error_message
    assert "core_infrastructure failed" in first.phases[2].reason

    state = full_remediation(target=str(root), return_state=True)
    again = unwrap(state.result(raise_on_failure=False))
    assert state.is_failed()
    assert statuses(again) == statuses(first)
    core = again.phases[1]
    assert (core.status.value, core.reused) == ("failed", False)  # a failure is never reused
    assert again.phases[0].reused

    (root / "tests/integration/api/test_api_broken.py").write_text("def test_fixed():\n    pass\n")
    second = full_remediation(target=str(root), return_state=True).result()
    assert statuses(second) == dict.fromkeys(statuses(second), "passed")
    assert {p.name: p.reused for p in second.phases} == {
        "foundation": True,
        "core_infrastructure": False,
        "service_integration": False,
        "final_validation": False,
    }
    assert second.phases[0].reason.startswith("reused")

    # the CLI does not reuse (reuse is decided phase by phase: one phase shows it)
    rerun = tmp_path / "rerun.json"
    assert main(["run", str(root), "--phase", "core_infrastructure", "--report", str(rerun)]) == 0
    phases = json.loads(rerun.read_text())["phases"]
    assert [(p["name"], p["status"], p["reused"]) for p in phases] == [
        ("core_infrastructure", "passed", False)
    ]
    assert main(["run", str(root), "--from", "service_integration"]) == 0


def test_a_sharded_gate_reports_the_same_results_as_an_unsharded_one(make_target) -> None:
    tests = "".join(f"def test_{i}():\n    assert {i} % 7 != 6\n\n" for i in range(30))
    root = make_target({"tests/unit/test_unit_many.py": tests})
    whole = unwrap(
        run_phase(target=str(root), phase="foundation", return_state=True).result(
            raise_on_failure=False
        )
    )
    sharded = unwrap(
        run_phase(target=str(root), phase="foundation", shards=3, return_state=True).result(
            raise_on_failure=False
        )
    )
    assert sharded.status == whole.status == PhaseStatus.FAILED
    outcome = {(r.test_name, r.status) for r in whole.suite.results}
    assert {(r.test_name, r.status) for r in sharded.suite.results} == outcome
    assert (sharded.suite.passed_tests, sharded.suite.failed_tests) == (28, 4)
    # the sharded run is the later one: run ids sort by the second they started, then by a
    # random suffix, so two runs in one second do not sort by time
    run = max((root / ".remediation" / "runs").iterdir(), key=lambda path: path.stat().st_mtime_ns)
    shard_files = sorted(run.glob("foundation/shard-*/results.jsonl"))
    assert len(shard_files) == 3
    assert all(f.read_text().count('"event": "result"') > 0 for f in shard_files)


def test_a_phase_that_runs_out_of_its_time_limit_errors_with_what_finished(make_target) -> None:
    root = make_target(
        {
            "tests/unit/test_zz_stuck.py": "import signal, time\n\ndef test_stuck():\n"
            "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    time.sleep(600)\n",
        },
        pyproject="[tool.remediation.phases.foundation]\ntimeout_s = 8\n",
    )
    state = run_phase(target=str(root), phase="foundation", return_state=True)
    report = unwrap(state.result(raise_on_failure=False))

    assert report.status is PhaseStatus.ERRORED
    assert "ran out of its time limit (timeout_s = 8 s, checks included)" in report.reason
    assert "while running tests/unit/test_zz_stuck.py::test_stuck" in report.reason
    assert report.suite.passed_tests >= 1  # what finished is kept
    assert report.duration_s is not None
    assert report.duration_s < 8 + 30
