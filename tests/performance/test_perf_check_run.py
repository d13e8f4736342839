"""The performance check judges this gate's run, or says it has none: never an older run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect.logging import disable_run_logger

from tasks.checks import run_check
from testing_lib.checks.performance import check_performance
from testing_lib.config.target import load_target_config
from testing_lib.performance import MetricsStore, RunInfo, TestPerformanceMetrics, default_db
from testing_lib.report import CheckStatus
from tests.conftest import MakeTarget

THRESHOLD = "[tool.remediation.testing.performance]\nexecution_time_threshold_ms = 100\n"
TEST = "tests/unit/test_unit_math.py::test_ok"
OLD = "20261101T000000Z-aaaaaa-final_validation"
THIS_ENGINE_RUN = "20261125T000000Z-bbbbbb"
THIS = f"{THIS_ENGINE_RUN}-final_validation"


def _store(root: Path, run_id: str, minute: int, ms: float) -> None:
    MetricsStore(default_db(root)).record_run(
        RunInfo(
            run_id=run_id, started_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=minute)
        ),
        [
            TestPerformanceMetrics(
                test_name=TEST,
                execution_time_ms=ms,
                memory_usage_mb=0,
                database_queries=0,
                http_requests=0,
            )
        ],
    )


@pytest.mark.parametrize("old_ms", [40, 400], ids=["old-run-passes", "old-run-over-threshold"])
def test_a_run_that_stored_nothing_has_no_data_and_the_older_run_is_not_judged(
    make_target: MakeTarget, old_ms: float
) -> None:
    root = make_target(pyproject="[tool.remediation]\n" + THRESHOLD)
    _store(root, OLD, 0, old_ms)

    result = check_performance(load_target_config(root), run_id=THIS)

    assert result.status is CheckStatus.NOT_JUDGED
    assert result.details.startswith("no performance data recorded for this run (")
    assert THIS in result.details
    assert OLD not in result.details
    assert result.data == {"run_id": THIS, "tests": 0}


def test_the_phase_task_judges_its_own_gate_run_given_the_engine_run(
    make_target: MakeTarget,
) -> None:
    root = make_target()
    _store(root, OLD, 0, 40)  # an earlier engine run's final_validation gate

    with disable_run_logger():
        result = run_check.fn(
            "performance thresholds",
            "final_validation",
            load_target_config(root),
            run_id=THIS_ENGINE_RUN,
        )

    assert result.status is CheckStatus.NOT_JUDGED
    assert result.details.startswith("no performance data recorded for this run")
    assert result.data["run_id"] == THIS


def test_the_given_run_is_judged_even_when_a_newer_run_is_stored(
    make_target: MakeTarget,
) -> None:
    root = make_target(pyproject="[tool.remediation]\n" + THRESHOLD)
    _store(root, OLD, 0, 40)
    _store(root, THIS, 1, 160)
    _store(root, "20261125T000500Z-cccccc-foundation", 2, 10)  # newer, another phase

    result = check_performance(load_target_config(root), run_id=THIS)

    assert result.status is CheckStatus.WARNING
    assert result.data["run_id"] == THIS
    assert f"run {THIS}: 1 threshold finding(s), 1 slowdown(s)" in result.details
    assert f"got 4.0× slower since run {OLD}" in result.details


def test_a_stored_run_within_the_thresholds_passes(make_target: MakeTarget) -> None:
    root = make_target()
    _store(root, THIS, 0, 40)

    result = check_performance(load_target_config(root), run_id=THIS)

    assert result.status is CheckStatus.PASSED
    assert result.data["run_id"] == THIS


def test_an_unreadable_metrics_database_is_no_data_not_a_crash(make_target: MakeTarget) -> None:
    root = make_target()
    db = default_db(root)
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not an SQLite database, " * 64)

    result = check_performance(load_target_config(root), run_id=THIS)

    assert result.status is CheckStatus.NOT_JUDGED
    assert result.details.startswith("no performance data recorded for this run (could not read")


def test_trends_of_a_given_run_compare_it_with_the_run_of_its_kind_before_it(
    make_target: MakeTarget,
) -> None:
    root = make_target()
    _store(root, "r1-final_validation", 0, 10)
    _store(root, "r2-final_validation", 1, 50)
    _store(root, "r3-final_validation", 2, 10)
    store = MetricsStore(default_db(root))

    (trend,) = store.trends(run_id="r2-final_validation")
    assert (trend.since_run, trend.now_ms) == ("r1-final_validation", 50)
    assert store.trends(run_id="r1-final_validation") == []  # nothing before it
    assert store.trends() == []  # r3 is faster than r2
    with pytest.raises(ValueError, match="no run 'r9'"):
        store.trends(run_id="r9")
