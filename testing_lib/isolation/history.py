"""Isolation reports kept under TARGET/.remediation/isolation/, oldest to newest, and the
order-dependence history the nightly flow keeps beside them (`tracking_file`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from testing_lib.isolation.dependence_history import IsolationHistory, NightFindings, rebuild
from testing_lib.isolation.order_models import IsolationReport
from testing_lib.state_dir import STATE_DIR

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


def latest_path(root: Path) -> Path:
    """Where the latest `remediate isolation` run's report is kept (in its own folder, as
    the history is: the reports' listing holds the nightly reports only)."""
    return history_dir(root) / "latest" / "report.json"


def save_latest(root: Path, report: IsolationReport) -> Path:
    return _write(latest_path(root), report.model_dump_json(indent=2))


def latest_report(root: Path) -> IsolationReport | None:
    """The newest report of the target: the latest `remediate isolation` run's or the
    latest night's, whichever finished last; None when there is none (or it is unreadable,
    with a warning)."""
    found = [report for _, report in previous_reports(root)[-1:]]
    try:
        found.append(IsolationReport.model_validate_json(latest_path(root).read_bytes()))
    except FileNotFoundError:
        pass
    except (OSError, ValidationError) as exc:
        logger.warning("Skipping the unreadable isolation report %s: %s", latest_path(root), exc)
    return max(found, key=lambda report: report.finished_at or report.started_at, default=None)


def known_victims(report: IsolationReport | None) -> dict[str, str]:
    """Each confirmed victim of `report` -> the test it fails after."""
    if report is None:
        return {}
    found: dict[str, str] = {}
    for pair in report.pairs:
        if pair.confirmed and pair.kind == "victim":
            found.setdefault(pair.victim, pair.polluter)
    return found


def tracking_file(root: Path) -> Path:
    """The order-dependence history: in its own folder, so that the reports' `*.json`
    listing (the nightly reports, oldest to newest) holds reports only."""
    return history_dir(root) / "tracked" / "order-dependence.json"


def load_tracking(root: Path) -> IsolationHistory | None:
    """The saved history, or None when there is none (or it cannot be read: it is then
    rebuilt from the reports, with a warning)."""
    path = tracking_file(root)
    try:
        return IsolationHistory.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as exc:
        logger.warning("Rebuilding the unreadable order-dependence history %s: %s", path, exc)
        return None


def current_tracking(root: Path) -> IsolationHistory:
    """The saved history, or the one the saved reports add up to when none is saved (a
    target validated before the history was kept): those are read only then."""
    saved = load_tracking(root)
    if saved is not None:
        return saved
    return rebuild((path.name, report) for path, report in previous_reports(root))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path


def save_tracking(root: Path, history: IsolationHistory) -> Path:
    return _write(tracking_file(root), history.model_dump_json(indent=2))


def save_findings(root: Path, report: Path, findings: NightFindings) -> Path:
    """Write what the night of `report` found (new, known, fixed) as
    tracked/<report's name>.findings.json."""
    path = tracking_file(root).parent / f"{report.stem}.findings.json"
    return _write(path, findings.model_dump_json(indent=2))
