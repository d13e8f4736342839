"""Prefect artifacts for a phase and a run (keys: lowercase letters, digits, dashes)."""

from __future__ import annotations

import re
from uuid import UUID

from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.context import get_run_context
from prefect.exceptions import MissingContextError

from testing_lib.rendering import failure_rows, phase_markdown, run_markdown
from testing_lib.report import PhaseReport, RemediationReport


def artifact_key(*parts: str) -> str:
    key = "-".join(parts).lower()
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", key)).strip("-")


def publish_phase_artifacts(report: PhaseReport, target_name: str) -> None:
    create_markdown_artifact(
        key=artifact_key(target_name, report.name, "gate"),
        markdown=phase_markdown(report, target_name),
        description=f"{report.name}: {report.status.value}",
    )
    rows = failure_rows(report)
    create_table_artifact(
        key=artifact_key(target_name, report.name, "failures"),
        table=rows or [{"test": "-", "status": "no failures", "error": ""}],
        description=f"{report.name}: {len(rows)} failure(s)",
    )


def publish_run_artifact(report: RemediationReport, target_name: str) -> None:
    create_markdown_artifact(
        key=artifact_key(target_name, "remediation-summary"),
        markdown=run_markdown(report),
        description=f"remediation of {target_name}",
    )


class ProgressArtifact:
    """A Prefect progress artifact (0–100); inert outside a flow or task run (e.g. `.fn`)."""

    def __init__(self, key: str, description: str) -> None:
        self._id: UUID | None = None
        self._last = -1.0
        try:
            get_run_context()
        except MissingContextError:
            return
        created = create_progress_artifact(progress=0.0, key=key, description=description)
        assert isinstance(created, UUID)  # sync call from sync code
        self._id = created
        self._last = 0.0

    def update(self, percent: float) -> None:
        if self._id is not None and percent != self._last:
            update_progress_artifact(artifact_id=self._id, progress=percent)
            self._last = percent
