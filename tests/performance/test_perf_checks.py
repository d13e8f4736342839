"""final_validation's performance and CI-profile checks, and the `remediate perf` report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from testing_lib.checks.ci_profiles import CI_PROFILES_CHECK
from testing_lib.checks.performance import PERFORMANCE_CHECK
from testing_lib.config.target import load_target_config
from testing_lib.performance import (
    MetricsStore,
    RunInfo,
    TestPerformanceMetrics,
    default_db,
    performance_report,
)
from testing_lib.report import CheckStatus
from tests.conftest import MakeTarget

PYPROJECT = """
[tool.remediation.testing.performance]
execution_time_threshold_ms = 100
"""


def _store(root: Path, run_id: str, minute: int, ms: float) -> None:
    MetricsStore(default_db(root)).record_run(
        RunInfo(
            run_id=run_id, started_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=minute)
        ),
        [
            TestPerformanceMetrics(
                test_name="tests/unit/test_unit_math.py::test_ok",
                execution_time_ms=ms,
                memory_usage_mb=0,
                database_queries=0,
                http_requests=0,
            )
        ],
    )


def test_no_measured_run_is_not_judged_and_says_how_to_measure(make_target: MakeTarget) -> None:
    result = PERFORMANCE_CHECK.run(load_target_config(make_target()))

    assert result.status is CheckStatus.NOT_JUDGED
    assert "pytest --remediation-perf" in result.details


def test_a_test_over_its_threshold_and_a_slowdown_are_reported(make_target: MakeTarget) -> None:
    root = make_target(pyproject="[tool.remediation]\n" + PYPROJECT)
    _store(root, "run-a", 0, 40)
    _store(root, "run-b", 1, 160)

    result = PERFORMANCE_CHECK.run(load_target_config(root))

    assert result.status is CheckStatus.WARNING
    assert "took 160 ms (threshold 100 ms)" in result.details
    assert "got 4.0× slower since run run-a" in result.details


def test_a_run_within_thresholds_passes(make_target: MakeTarget) -> None:
    root = make_target()
    _store(root, "run-a", 0, 40)

    assert PERFORMANCE_CHECK.run(load_target_config(root)).status is CheckStatus.PASSED


def test_the_report_names_known_runs_for_an_unknown_baseline(make_target: MakeTarget) -> None:
    root = make_target()
    _store(root, "run-a", 0, 40)
    _store(root, "run-b", 1, 45)

    report = performance_report(root)
    assert report.runs == ["run-a", "run-b"]
    assert report.analysis is not None
    assert report.analysis.total_tests == 1
    with pytest.raises(ValueError, match="recent runs: run-a, run-b"):
        performance_report(root, since="run-x")


def test_the_ci_check_fails_a_test_that_needs_the_developers_environment(
    make_target: MakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_target(
        {
            "tests/unit/test_needs_shell.py": """
            import os

            def test_reads_developer_setting():
                assert os.environ["DEVELOPER_ONLY_SETTING"] == "1"
            """
        }
    )
    monkeypatch.setenv("DEVELOPER_ONLY_SETTING", "1")
    monkeypatch.setenv("REMEDIATION_CI_PROFILES", "ci")

    result = CI_PROFILES_CHECK.run(load_target_config(root))

    assert result.status is CheckStatus.FAILED
    assert "ci: tests/unit/test_needs_shell.py::test_reads_developer_setting (failed)" in (
        result.details
    )


def test_an_unknown_profile_name_fails_the_check_naming_the_known_ones(
    make_target: MakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMEDIATION_CI_PROFILES", "kubernetes")

    result = CI_PROFILES_CHECK.run(load_target_config(make_target()))

    assert result.status is CheckStatus.FAILED
    assert "ci, constrained, offline, parallel" in result.details
