"""Where a run's files live in the target: TARGET/.remediation/runs/<run-id>/.

Each saved phase report also becomes its phase's latest run: TARGET/.remediation/latest/
<phase> names the run it was saved in (the last phase run to finish, whichever run it
belonged to: a phase reused from an earlier run keeps pointing at that run).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from testing_lib.config.phases import PhaseName
from testing_lib.report import PhaseReport, RemediationReport
from testing_lib.state_dir import STATE_DIR as STATE_DIR  # re-exported: the codemod journal

logger = logging.getLogger(__name__)


def new_run_id() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def runs_root(root: Path) -> Path:
    return root / STATE_DIR / "runs"


def run_dir(root: Path, run_id: str) -> Path:
    return runs_root(root) / run_id


def phase_dir(root: Path, run_id: str, phase: PhaseName) -> Path:
    return run_dir(root, run_id) / phase


def latest_pointer(root: Path, phase: PhaseName) -> Path:
    return root / STATE_DIR / "latest" / phase


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def save_phase_report(root: Path, run_id: str, report: PhaseReport) -> Path:
    path = phase_dir(root, run_id, report.name) / "phase.json"
    _write_atomic(path, report.model_dump_json(indent=2))
    _write_atomic(latest_pointer(root, report.name), run_id + "\n")
    return path


def latest_phase_report(root: Path, phase: PhaseName) -> PhaseReport | None:
    """The report of the phase's latest saved run in the target; None when there is none
    (or it cannot be read: a run removed by hand, a file of another engine version)."""
    try:
        run_id = latest_pointer(root, phase).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("cannot read the latest run of %s in %s: %s", phase, root, exc)
        return None
    return saved_phase_report(root, run_id, phase)


def saved_phase_report(root: Path, run_id: str, phase: PhaseName) -> PhaseReport | None:
    """The phase's report saved by run `run_id`; None when there is none (or it cannot be
    read, with a warning)."""
    path = phase_dir(root, run_id, phase) / "phase.json"
    try:
        return PhaseReport.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as exc:
        logger.warning("cannot read %s: %s", path, exc)
        return None


def save_report(root: Path, report: RemediationReport) -> Path:
    path = run_dir(root, report.run_id) / "report.json"
    _write_atomic(path, report.model_dump_json(indent=2))
    return path
