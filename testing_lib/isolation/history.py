"""Isolation reports kept under TARGET/.remediation/isolation/, oldest to newest."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from testing_lib.isolation.order_models import IsolationReport
from testing_lib.storage import STATE_DIR

logger = logging.getLogger(__name__)


def history_dir(root: Path) -> Path:
    return root / STATE_DIR / "isolation"


def save_isolation_report(root: Path, report: IsolationReport) -> Path:
    """Write `report` as TARGET/.remediation/isolation/<UTC timestamp>.json."""
    stamp = (report.finished_at or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    path = history_dir(root) / f"{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    partial.replace(path)
    return path


def previous_reports(root: Path) -> list[tuple[Path, IsolationReport]]:
    """Saved reports, oldest first; unreadable files are skipped with a warning."""
    reports = []
    for path in sorted(history_dir(root).glob("*.json")):
        try:
            reports.append((path, IsolationReport.model_validate_json(path.read_bytes())))
        except (OSError, ValidationError) as exc:
            logger.warning("Skipping unreadable isolation report %s: %s", path, exc)
    return reports


def new_order_dependencies(previous: IsolationReport | None, current: IsolationReport) -> list[str]:
    """Order-dependent tests in `current` that `previous` did not report."""
    before = set(previous.order_dependent_tests) if previous else set()
    return [test for test in current.order_dependent_tests if test not in before]
