"""The sick example backend end to end: every phase runs its tests despite collection
errors, explains every failure by kind as plain pytest reported it, keeps its time limit,
names the test that hung, and no check passes on nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flows.phase import run_phase
from testing_lib.config.phases import PHASE_ORDER
from testing_lib.report import CheckStatus, PhaseReport
from testing_lib.triage import Triage

pytestmark = [pytest.mark.slow, pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sick_api"
EXPECTED = json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))
LIMIT_SLACK_S = 30  # a phase ends within its timeout_s plus this


@pytest.fixture(scope="module")
def phases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PhaseReport]:
    """Each phase run on its own copy of the example, as a rerun of one phase would."""
    reports = {}
    for phase in PHASE_ORDER:
        root = Path(
            shutil.copytree(
                EXAMPLE,
                tmp_path_factory.mktemp(phase) / "sick_api",
                ignore=shutil.ignore_patterns(".remediation", "__pycache__"),
            )
        )
        state = run_phase(target=str(root), phase=phase, return_state=True)
        outcome = state.result(raise_on_failure=False)
        reports[phase] = getattr(outcome, "report", outcome)
    return reports


@pytest.mark.parametrize("phase", PHASE_ORDER)
def test_every_phase_runs_its_tests_and_counts_as_plain_pytest(
    phases: dict[str, PhaseReport], phase: str
) -> None:
    report, expected = phases[phase], EXPECTED[phase]
    suite = report.suite
    assert suite is not None, report.reason
    assert (
        suite.passed_tests,
        suite.failed_tests,
        suite.error_tests,
        len(suite.collection_errors),
    ) == (expected["passed"], expected["failed"], expected["errors"], expected["collection_errors"])
    assert report.status.value == "failed"  # the gate still fails on the sickness


@pytest.mark.parametrize("phase", PHASE_ORDER)
def test_every_failure_is_explained_by_its_kind(phases: dict[str, PhaseReport], phase: str) -> None:
    assert Triage(groups=phases[phase].triage).counts() == EXPECTED[phase]["kinds"]


@pytest.mark.parametrize("phase", PHASE_ORDER)
def test_every_phase_keeps_its_time_limit(phases: dict[str, PhaseReport], phase: str) -> None:
    limit = 180 if phase == "final_validation" else 120  # the example's timeout_s
    duration = phases[phase].duration_s
    assert duration is not None
    assert duration <= limit + LIMIT_SLACK_S


def test_the_hung_test_is_the_one_named(phases: dict[str, PhaseReport]) -> None:
    hung = EXPECTED["service_integration"]["hung"]
    for phase in ("service_integration", "final_validation"):
        (timeouts,) = [g for g in phases[phase].triage if g.kind == "timeout"]
        assert timeouts.examples == [hung]


def test_no_check_passes_on_nothing(phases: dict[str, PhaseReport]) -> None:
    vacuous = [
        (phase, check.name, check.details)
        for phase, report in phases.items()
        for check in report.checks
        if check.status is CheckStatus.PASSED
        and ("baseline 0 passed" in check.details or "ran no test" in check.details)
    ]
    assert vacuous == []
    checks = {check.name: check for check in phases["final_validation"].checks}
    ci = checks["CI profiles"]  # judged from the gate: 10 passed, one tried the network
    assert (ci.status, ci.source) == (CheckStatus.FAILED, "gate")
    assert list(ci.data["offline_attempts"]) == [
        nodeid
        for nodeid, kind in _kinds(phases["final_validation"]).items()
        if kind == "real_network"
    ]


def _kinds(report: PhaseReport) -> dict[str, str]:
    """node id -> failure kind, for the examples the triage lists."""
    return {example: group.kind for group in report.triage for example in group.examples}
