"""Where a run's files live in the target: TARGET/.remediation/runs/<run-id>/."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from testing_lib.config.phases import PhaseName
from testing_lib.report import PhaseReport, RemediationReport
from testing_lib.state_dir import STATE_DIR as STATE_DIR  # re-exported: the codemod journal


def new_run_id() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def runs_root(root: Path) -> Path:
    return root / STATE_DIR / "runs"


def run_dir(root: Path, run_id: str) -> Path:
    return runs_root(root) / run_id


def phase_dir(root: Path, run_id: str, phase: PhaseName) -> Path:
    return run_dir(root, run_id) / phase


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def save_phase_report(root: Path, run_id: str, report: PhaseReport) -> Path:
    path = phase_dir(root, run_id, report.name) / "phase.json"
    _write_atomic(path, report.model_dump_json(indent=2))
    return path


def save_report(root: Path, report: RemediationReport) -> Path:
    path = run_dir(root, report.run_id) / "report.json"
    _write_atomic(path, report.model_dump_json(indent=2))
    return path
