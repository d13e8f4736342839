"""`remediate run` names, after its table, each failure group that has a cure to try."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cli.run import _cure_lines
from testing_lib.report import PhaseReport, PhaseStatus, RemediationReport
from testing_lib.triage import TriageGroup


def _group(kind: str, key: str | None, count: int = 1) -> TriageGroup:
    return TriageGroup(
        kind=kind, title=kind.replace("_", " "), key=key, count=count, remediation=""
    )


def test_one_line_per_curable_group_with_the_command_that_proves_its_cure() -> None:
    foundation = PhaseReport(
        name="foundation",
        status=PhaseStatus.FAILED,
        reason="failed",
        triage=[
            _group("async_without_plugin", None, 2),
            _group("assertion", None),  # no mechanical cure: no line
            _group("type_error", "int()"),  # a type error that is no httpx client: no line
            _group("type_error", "AsyncClient.__init__"),
        ],
    )
    final = PhaseReport(
        name="final_validation",
        status=PhaseStatus.FAILED,
        reason="failed",
        triage=[_group("async_without_plugin", None, 3)],  # the same group: named once
    )
    report = RemediationReport(
        target="/t", run_id="r", started_at=datetime.now(UTC), phases=[foundation, final]
    )

    lines = _cure_lines(report, Path("/srv/my app"))

    assert lines == [
        "cure to try: 2 × async without plugin: remediate fix '/srv/my app' --phase foundation",
        "cure to try: 1 × type error (AsyncClient.__init__): "
        "remediate fix '/srv/my app' --phase foundation",
    ]
