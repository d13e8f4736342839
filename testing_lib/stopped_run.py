"""The report of a run that was stopped (SIGTERM, Ctrl-C): every result so far, from disk.

A stopped engine cannot trust its own memory (the flow may be halfway through a Prefect
call), so the report is rebuilt from what the run wrote as it went: the report of each
phase that finished, and the per-test events of the phase that was running. Phases after
it are `not_run`. Reading only files, it works whatever state Prefect's server is in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from testing_lib.config.phases import PhaseName
from testing_lib.report import PhaseReport, PhaseStatus, RemediationReport
from testing_lib.results import TestResult, TestSuiteResult
from testing_lib.runner.events import read_events
from testing_lib.storage import phase_dir, saved_phase_report
from testing_lib.triage import triage

logger = logging.getLogger(__name__)


def _partial_suite(folder: Path, phase: PhaseName) -> TestSuiteResult | None:
    """What the phase's pytest runs recorded so far (all of them, newest last)."""
    files = sorted(folder.glob("**/results.jsonl"), key=lambda p: p.stat().st_mtime)
    if not files:
        return None
    results: list[TestResult] = []
    running: str | None = None
    collected = 0
    for path in files:
        events = read_events(path)
        results += events.results
        collected += events.collected or 0
        running = events.running_test or running
    return TestSuiteResult.from_results(
        phase, results, collected=collected, running_test=running, session_finished=False
    )


def stopped_report(
    root: Path,
    run_id: str,
    phases: Sequence[PhaseName],
    *,
    started_at: datetime,
    why: str,
) -> RemediationReport:
    """The run as it stood when it was stopped by `why` (e.g. "SIGTERM")."""
    report = RemediationReport(
        target=str(root),
        run_id=run_id,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        stopped=why,
    )
    stopped_in: PhaseName | None = None
    blocked = False
    for phase in phases:
        finished = saved_phase_report(root, run_id, phase)
        if finished is not None and stopped_in is None:
            report.phases.append(finished)
            blocked = blocked or finished.status is not PhaseStatus.PASSED
        elif blocked or stopped_in is not None:
            report.phases.append(
                PhaseReport(
                    name=phase,
                    status=PhaseStatus.NOT_RUN,
                    reason=f"not run: the run was stopped by {why}",
                )
            )
        else:  # the phase that was running
            stopped_in = phase
            suite = _partial_suite(phase_dir(root, run_id, phase), phase)
            kept = suite.total_tests if suite else 0
            during = f" while running {suite.running_test}" if suite and suite.running_test else ""
            report.phases.append(
                PhaseReport(
                    name=phase,
                    status=PhaseStatus.STOPPED,
                    reason=f"stopped by {why}{during}; {kept} test result(s) kept",
                    suite=suite,
                    triage=triage(suite).groups if suite is not None else [],
                )
            )
    return report
