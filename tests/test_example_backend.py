"""The bundled example backend, as the issue's "Done when" states it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli.main import main
from flows.defaults import EXAMPLE_TARGET

pytestmark = [pytest.mark.slow, pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def copy_example(destination: Path) -> Path:
    ignore = shutil.ignore_patterns(".remediation", "__pycache__", "*.db", ".pytest_cache")
    return Path(shutil.copytree(EXAMPLE_TARGET, destination / "mdra_backend", ignore=ignore))


def test_one_failing_core_test_stops_the_example_after_foundation(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    (root / "tests/integration/api/test_injected_failure.py").write_text(
        "def test_health_reports_a_wrong_version():\n    assert 'v1' == 'v2'\n"
    )
    report = tmp_path / "report.json"
    assert main(["run", str(root), "--report", str(report)]) == 1
    phases = {p["name"]: p for p in json.loads(report.read_text())["phases"]}
    assert {name: p["status"] for name, p in phases.items()} == {
        "foundation": "passed",
        "core_infrastructure": "failed",
        "service_integration": "not_run",
        "final_validation": "not_run",
    }
    core = phases["core_infrastructure"]
    assert core["suite"]["failed_tests"] == 1
    assert core["suite"]["passed_tests"] >= 40
    assert "test_injected_failure.py::test_health_reports_a_wrong_version" in core["reason"]
