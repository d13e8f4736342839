"""Engine gates store their per-test metrics, whatever the target's interpreter has installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prefect.logging import disable_run_logger

from tasks.gate import perf_run_id, run_gate, run_gate_shard
from testing_lib.checks.performance import PERFORMANCE_CHECK
from testing_lib.config import load_target_config
from testing_lib.performance import MetricsStore, default_db
from testing_lib.report import CheckStatus
from testing_lib.runner import probe_interpreter
from testing_lib.storage import phase_dir
from tests.conftest import MakeTarget
from tests.test_flows import _interpreter_without_this_project

FOUNDATION_TESTS = {
    "tests/unit/test_unit_math.py::test_ok",
    "tests/unit/test_unit_math.py::test_two",
}


def test_a_gate_in_a_target_without_this_project_stores_its_run(make_target: MakeTarget) -> None:
    python = _interpreter_without_this_project()
    if python is None:
        pytest.skip("no interpreter with pytest but without this project on this machine")
    root = make_target(pyproject=f"[tool.remediation]\npython = '{python}'\n")
    config = load_target_config(root)
    out_dir = phase_dir(root, "20261125T000000Z-abc123", "foundation")

    with disable_run_logger():
        suite = run_gate.fn(config, "foundation", out_dir)

    assert suite.passed_tests == 2
    store = MetricsStore(default_db(root))
    (run,) = store.runs()
    assert run.run_id == "20261125T000000Z-abc123-foundation"
    assert run.tests == 2
    assert run.python == probe_interpreter(python).python_version
    assert "remediation_monitor" in run.pytest_args
    assert {m.test_name for m in store.metrics(run.run_id)} == FOUNDATION_TESTS
    check = PERFORMANCE_CHECK.run(config)
    assert check.status is CheckStatus.PASSED
    assert check.data["run_id"] == run.run_id


def test_the_shards_of_a_gate_are_stored_as_one_run_of_the_phase(
    make_target: MakeTarget,
) -> None:
    root = make_target()  # this interpreter has this project: still one run, not two
    config = load_target_config(root)
    gate_dir = phase_dir(root, "20261125T000000Z-abc123", "foundation")
    gate_dir.mkdir(parents=True)
    durations = gate_dir / "durations.json"
    durations.write_text(json.dumps({}), encoding="utf-8")

    with disable_run_logger():
        parts = [
            run_gate_shard.fn(config, "foundation", gate_dir / f"shard-{i}", i, 2, durations)
            for i in range(2)
        ]

    assert [part.passed_tests for part in parts] == [1, 1]
    store = MetricsStore(default_db(root))
    (run,) = store.runs()
    assert run.run_id == "20261125T000000Z-abc123-foundation"
    assert {m.test_name for m in store.metrics(run.run_id)} == FOUNDATION_TESTS
    assert PERFORMANCE_CHECK.run(config).data["tests"] == 2


def test_a_gate_outside_the_runs_folder_gets_a_new_run_id_naming_its_phase(
    make_target: MakeTarget, tmp_path: Path
) -> None:
    config = load_target_config(make_target())

    first = perf_run_id(config, "foundation", tmp_path / "out")

    assert first.endswith("-foundation")
    assert first != perf_run_id(config, "foundation", tmp_path / "out")
