"""The order plugin's results file: one JSON line per event of a forked child's run.

Part of the ``remediation_order`` plugin (imported by name, from the same folder on the
target's PYTHONPATH); standard library and pytest only, Python 3.9 syntax. A test's
setup/call/teardown reports are folded into one outcome, as the collector does.

Lines: ``{"event": "start", "nodeid"}``, ``{"event": "result", "nodeid", "outcome",
"duration_ms", "message"}``; the leak tracker writes ``{"event": "leak", "nodeid",
"state", "detail"}`` and the child ``{"event": "error", "message"}`` through ``write``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

_PHASES = ("setup", "call", "teardown")


def _first_error_line(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if message:
        return str(message).strip().splitlines()[0]
    try:
        text = str(report.longreprtext)
    except AttributeError:
        text = str(report.longrepr)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _fold(reports: list[Any]) -> tuple[str, str | None]:
    for when, outcome in (("setup", "error"), ("call", "failed"), ("teardown", "error")):
        for report in reports:
            if report.failed and report.when == when:
                return outcome, _first_error_line(report)
    for report in reports:
        if report.failed and report.when not in _PHASES:
            return "failed", _first_error_line(report)
    if any(r.skipped and not hasattr(r, "context") for r in reports):
        return "skipped", None
    return "passed", None


class Recorder:
    """Writes the child's per-test events to its results file."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._reports: dict[str, list[Any]] = {}

    def write(self, event: str, **fields: Any) -> None:
        record = {"event": event}
        record.update(fields)
        self._stream.write(json.dumps(record, default=str) + "\n")
        self._stream.flush()

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._reports[nodeid] = []
        self.write("start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        reports = self._reports.pop(nodeid, [])
        if not reports:
            return
        outcome, message = _fold(reports)
        duration_ms = sum(float(getattr(r, "duration", 0.0) or 0.0) for r in reports) * 1000.0
        self.write(
            "result", nodeid=nodeid, outcome=outcome, duration_ms=duration_ms, message=message
        )
