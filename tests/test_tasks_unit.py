"""Tasks through `.fn`: no Prefect server involved."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.logging import disable_run_logger

from tasks.artifacts import artifact_key
from tasks.checks import run_check
from tasks.gate import run_gate
from testing_lib.config import load_target_config
from testing_lib.report import CheckStatus
from tests.conftest import FAILING


def test_gate_task_runs_the_phase_selection_only(make_target, tmp_path: Path) -> None:
    root = make_target({"tests/integration/api/test_api_broken.py": FAILING})
    config = load_target_config(root)
    with disable_run_logger():
        suite = run_gate.fn(config, "foundation", tmp_path / "out")
    assert (suite.passed_tests, suite.failed_tests) == (2, 0)
    assert all(r.test_name.startswith("tests/unit/") for r in suite.results)
    assert (tmp_path / "out" / "results.jsonl").is_file()


def test_gate_task_with_no_existing_paths_runs_nothing(make_target, tmp_path: Path) -> None:
    root = make_target(
        pyproject="[tool.remediation.phases.foundation]\npaths = ['tests/nowhere']\n"
    )
    with disable_run_logger():
        suite = run_gate.fn(load_target_config(root), "foundation", tmp_path / "out")
    assert suite.total_tests == 0
    assert suite.exit_code is None
    assert not (tmp_path / "out").exists()


def test_environment_check_passes_on_this_interpreter(make_target) -> None:
    with disable_run_logger():
        result = run_check.fn("test environment", "foundation", load_target_config(make_target()))
    assert result.status is CheckStatus.PASSED
    assert "pytest" in result.details


def test_environment_check_fails_for_a_remote_test_database(make_target) -> None:
    root = make_target(
        pyproject="[tool.remediation.testing.database]\nurl = 'postgresql+asyncpg://db.prod.example.com/app'\n"
    )
    with disable_run_logger():
        result = run_check.fn("test environment", "foundation", load_target_config(root))
    assert result.status is CheckStatus.FAILED
    assert "db.prod.example.com" in result.details


def test_environment_check_fails_for_a_short_configured_secret(make_target) -> None:
    root = make_target(pyproject="[tool.remediation.testing.auth]\njwt_secret = 'short'\n")
    with disable_run_logger():
        result = run_check.fn("test environment", "foundation", load_target_config(root))
    assert result.status is CheckStatus.FAILED
    assert "jwt_secret" in result.details


@pytest.mark.parametrize(
    ("parts", "key"),
    [
        (("mdra_backend", "core_infrastructure", "gate"), "mdra-backend-core-infrastructure-gate"),
        (("My Target!", "final_validation"), "my-target-final-validation"),
    ],
)
def test_artifact_keys_use_only_lowercase_digits_and_dashes(
    parts: tuple[str, ...], key: str
) -> None:
    assert artifact_key(*parts) == key
