"""Metrics of the injected `remediation_monitor` plugin: how to turn it on, and storing them.

The engine loads the monitor into every gate run (`prepare_monitor`), whatever the target's
interpreter has installed; the plugin writes one JSON line per test, and
`record_monitor_file` stores those rows as one run of TARGET/.remediation/metrics.sqlite,
where `remediate perf` and final_validation's performance check read them. Threshold
findings are not stored: readers compute them from the rows against the configuration.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from testing_lib.performance.metrics import TestPerformanceMetrics
from testing_lib.performance.store import MetricsStore, RunInfo
from testing_lib.runner.target_plugins import MONITOR_FILE_ENV

logger = logging.getLogger(__name__)

MONITOR_PLUGIN = "remediation_monitor"
MONITOR_FILE_NAME = "metrics.jsonl"

_ROW = TypeAdapter(TestPerformanceMetrics)


def prepare_monitor(metrics_file: Path) -> tuple[list[str], dict[str, str]]:
    """The pytest arguments and environment that make a `run_pytest` run write per-test
    metrics to `metrics_file`; its folder is created and an earlier file removed (the
    plugin appends)."""
    metrics_file.parent.mkdir(parents=True, exist_ok=True)
    metrics_file.unlink(missing_ok=True)
    return ["-p", MONITOR_PLUGIN], {MONITOR_FILE_ENV: str(metrics_file)}


def read_monitor_file(path: Path) -> list[TestPerformanceMetrics]:
    """The rows the monitor wrote, in file order; none when the file does not exist.

    A line that is not a valid row (a worker killed while writing) is skipped with a
    warning naming how many were.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    rows: list[TestPerformanceMetrics] = []
    unreadable = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            rows.append(_ROW.validate_json(line))
        except ValidationError:
            unreadable += 1
    if unreadable:
        logger.warning("skipped %d unreadable line(s) of %s", unreadable, path)
    return rows


def record_monitor_file(path: Path, db: Path, run: RunInfo) -> int:
    """Store the rows of `path` in the metrics database `db` as run `run`; the number stored.

    Nothing is stored (0) when the file holds no rows. Recording the same `run.run_id`
    again adds to that run (a test measured twice keeps its newest row), which is how the
    shards of one gate end up as one run.
    """
    rows = read_monitor_file(path)
    if not rows:
        return 0
    written = MetricsStore(db).record_run(run, rows)
    logger.info("Stored %d test metrics of run %s in %s", written, run.run_id, db)
    return written
