"""`remediate fix` takes a phase's failure groups from the target's latest run of it when
that run stands for a run of the scratch copy (files unchanged since, made the same way),
so the proof makes one pytest run fewer per such phase and proposes the very same cures;
else it runs the phase on the copy, as without a saved run."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.fix import fix_app
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig, load_target_config
from testing_lib.cures.saved_run import first_run_source, on_copy
from testing_lib.cures.session import CurePlan, propose_cures
from testing_lib.cures.workspace import workspace
from testing_lib.environment import test_environment_values
from testing_lib.fingerprint import content_digest, run_conditions
from testing_lib.report import PhaseReport, PhaseStatus
from testing_lib.results import CollectionError, TestResult, TestStatus, TestSuiteResult
from testing_lib.runner import run_pytest
from testing_lib.selection import resolve_selection
from testing_lib.storage import latest_phase_report, save_phase_report
from tests.cures.sick_shapes import ASYNC_ROOTDIR_BELOW, BASENAME_CLASH

FOUNDATION_IS_ALL = '\n[tool.remediation.phases.foundation]\npaths = ["tests"]\n'
# The clash's cure reads the absolute paths pytest names in the failure: a saved run names
# the target's files, the copy's run the copy's.
CLASH = dataclasses.replace(BASENAME_CLASH, pyproject_extra=FOUNDATION_IS_ALL)
SAVED_AT = datetime(2026, 12, 7, 22, 10, tzinfo=UTC)


def save_gate_run(
    config: TargetConfig,
    phase: PhaseName,
    run_id: str = "20261207T221000Z-aaaaaa",
    plugins: tuple[str, ...] = (),
) -> PhaseReport:
    """The phase's run as its gate makes and saves it: from the target's root, stamped with
    the files' digest before it ran and its conditions (`plugins`: its checks' observers)."""
    digest = content_digest(config.root)
    settings = config.phase(phase)
    suite = run_pytest(
        cwd=config.root,
        selection=list(resolve_selection(config, phase).existing),
        python=config.python,
        suite_name=phase,
        markers=settings.markers,
        extra_args=list(settings.pytest_args),
        env=test_environment_values(config.testing),
        confine_to=config.root,
    )
    report = PhaseReport(
        name=phase,
        status=PhaseStatus.FAILED,
        reason="the gate failed",
        suite=suite,
        started_at=SAVED_AT,
        finished_at=SAVED_AT,
        content_digest=digest,
        run_conditions=run_conditions(config, phase, plugins=plugins),
    )
    save_phase_report(config.root, run_id, report)
    return report


def same_proposals(one: CurePlan, other: CurePlan) -> None:
    assert [g.model_dump() for g in one.report.groups] == [
        g.model_dump() for g in other.report.groups
    ]
    assert one.changes == other.changes
    assert one.by_group == other.by_group
    assert one.report.phase_changes == other.report.phase_changes


@pytest.mark.slow
def test_the_latest_run_is_taken_when_the_files_are_unchanged(tmp_path: Path) -> None:
    config = load_target_config(CLASH.write(tmp_path))
    fresh = propose_cures(config, ["foundation"])
    assert fresh.report.reused == []
    assert fresh.report.first_runs[0].note == "no saved run; ran on a scratch copy"
    save_gate_run(config, "foundation")
    lines: list[str] = []

    reused = propose_cures(config, ["foundation"], progress=lines.append)

    assert reused.report.reused == ["foundation"]
    assert reused.runs == fresh.runs - 1
    assert [g.status for g in reused.report.groups] == ["proven"]
    same_proposals(reused, fresh)
    assert lines[0].startswith("foundation: using the latest run (saved 2026-12-")
    assert lines[0].endswith(", files unchanged)")
    assert "running foundation on the scratch copy" in lines  # the proof's run after the cure


@pytest.mark.slow
def test_a_file_changed_since_the_latest_run_means_a_run_on_the_copy(tmp_path: Path) -> None:
    config = load_target_config(CLASH.write(tmp_path))
    save_gate_run(config, "foundation")
    plain = config.root / "tests/unit/test_plain.py"
    plain.write_text(plain.read_text() + "\n\ndef test_another():\n    assert True\n")

    plan = propose_cures(config, ["foundation"])

    assert plan.report.reused == []
    (first,) = plan.report.first_runs
    assert first.note == "files changed since the latest run; ran on a scratch copy"
    assert plan.runs == 2  # the phase before the cure, and with it
    assert "tests/unit/test_plain.py::test_another" in {
        r.test_name for r in plan.first["foundation"].results
    }
    assert [g.status for g in plan.report.groups] == ["proven"]


@pytest.mark.slow
def test_remediate_fix_says_which_run_it_used(tmp_path: Path) -> None:
    config = load_target_config(CLASH.write(tmp_path))
    save_gate_run(config, "foundation")

    result = CliRunner().invoke(fix_app, [str(config.root), "--phase", "foundation"])

    assert result.exit_code == 0, result.output
    assert "foundation: using the latest run (saved 2026-12-" in result.output
    assert "proof: 1 pytest run(s) of the phases on a scratch copy" in result.output


# What decides, without a pytest run: a saved report made up as the gate saves it.


def _suite(selection: list[str]) -> TestSuiteResult:
    failed = TestResult(
        test_name="tests/unit/test_money.py::test_unit_money",
        status=TestStatus.FAILED,
        execution_time_ms=1.0,
        error_message="AssertionError",
    )
    return TestSuiteResult.from_results("foundation", [failed], selection=selection)


def _decide(config: TargetConfig, phase: PhaseName, saved: PhaseReport | None) -> str:
    with workspace(config) as ws:
        source = first_run_source(config, ws, phase, content_digest(config.root), saved)
        return source.why if source.suite is None else f"taken: {source.why}"


def _saved(config: TargetConfig, phase: PhaseName, **changes: object) -> PhaseReport:
    report = PhaseReport(
        name=phase,
        status=PhaseStatus.FAILED,
        reason="the gate failed",
        suite=_suite(list(resolve_selection(config, phase).existing)),
        finished_at=SAVED_AT,
        content_digest=content_digest(config.root),
        run_conditions=run_conditions(config, phase),
    )
    return report.model_copy(update=changes)


def test_what_decides_whether_the_latest_run_stands(tmp_path: Path) -> None:
    config = load_target_config(CLASH.write(tmp_path))
    phase: PhaseName = "foundation"

    assert _decide(config, phase, _saved(config, phase)).startswith("taken: using the latest")
    assert _decide(config, phase, None) == "no saved run"
    assert _decide(config, phase, _saved(config, phase, suite=None)) == (
        "the latest run has no test results (failed)"
    )
    assert _decide(config, phase, _saved(config, phase, content_digest=None)) == (
        "the latest run did not record the files it ran on"
    )
    assert _decide(config, phase, _saved(config, phase, content_digest="0" * 40)) == (
        "files changed since the latest run"
    )
    blocked = run_conditions(config, phase, plugins=["remediation_network"])
    assert _decide(config, phase, _saved(config, phase, run_conditions=blocked)).startswith(
        "the latest run was made differently"
    )
    elsewhere = config.model_copy(update={"python": "/elsewhere/python"})
    made_elsewhere = run_conditions(elsewhere, phase)
    assert _decide(config, phase, _saved(config, phase, run_conditions=made_elsewhere)).startswith(
        "the latest run was made differently"
    )
    other_paths = _saved(config, phase, suite=_suite(["tests/unit"]))
    assert _decide(config, phase, other_paths) == "the latest run selected other paths"


def test_a_bare_run_below_the_root_is_not_taken(tmp_path: Path) -> None:
    """Its pytest configuration in tests/: a bare run of the copy starts in tests/ (ids
    relative to it), the gate at the root."""
    below = dataclasses.replace(
        ASYNC_ROOTDIR_BELOW,
        pyproject=ASYNC_ROOTDIR_BELOW.pyproject
        + "\n[tool.remediation.phases.foundation]\npaths = []\n",
    )
    config = load_target_config(below.write(tmp_path))
    assert resolve_selection(config, "foundation").whole_suite

    assert _decide(config, "foundation", _saved(config, "foundation")) == (
        "the latest run started at the root, a run of the copy starts in tests/"
    )


def test_a_saved_run_names_the_copy_s_files() -> None:
    root, copy = Path("/work/project"), Path("/tmp/rem-fix-1/project")
    text = (
        "imported module 'test_money' has this __file__ attribute:\n"
        "  /work/project/tests/unit/test_money.py\n"
        "which is not the same as the test file we want to collect:\n"
        "  /work/project/tests/api/test_money.py\n"
        "/work/project/.venv/lib/python3.12/site-packages/_pytest/python.py:1: in x\n"
        "/work/project2/tests/test_x.py /work/project"
    )
    suite = TestSuiteResult.from_results(
        "foundation",
        [
            TestResult(
                test_name="t", status=TestStatus.ERROR, execution_time_ms=0, error_traceback=text
            )
        ],
        collection_errors=[CollectionError(nodeid="tests/api/test_money.py", message=text)],
    )

    moved = on_copy(suite, [root], copy)

    expected = (
        "imported module 'test_money' has this __file__ attribute:\n"
        "  /tmp/rem-fix-1/project/tests/unit/test_money.py\n"
        "which is not the same as the test file we want to collect:\n"
        "  /tmp/rem-fix-1/project/tests/api/test_money.py\n"
        "/work/project/.venv/lib/python3.12/site-packages/_pytest/python.py:1: in x\n"
        "/work/project2/tests/test_x.py /tmp/rem-fix-1/project"
    )
    assert moved.results[0].error_traceback == expected
    assert moved.collection_errors[0].message == expected
    assert suite.results[0].error_traceback == text  # the saved run itself is left as it was


def test_the_latest_saved_run_of_a_phase_is_the_last_one_saved(tmp_path: Path) -> None:
    assert latest_phase_report(tmp_path, "foundation") is None
    for run_id, reason in (
        ("20261207T221000Z-bbbbbb", "second"),
        ("20261207T221000Z-aaaaaa", "last"),
    ):
        report = PhaseReport(name="foundation", status=PhaseStatus.FAILED, reason=reason)
        save_phase_report(tmp_path, run_id, report)
    save_phase_report(
        tmp_path,
        "x",
        PhaseReport(name="core_infrastructure", status=PhaseStatus.PASSED, reason="-"),
    )

    latest = latest_phase_report(tmp_path, "foundation")

    assert latest is not None
    assert latest.reason == "last"


@pytest.mark.slow
@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_gate_s_run_is_the_cures_first_run(tmp_path: Path) -> None:
    """The flow proposes the cures of the gate that just failed from that gate's run, and
    `remediate fix` later from the same saved run while the files are unchanged."""
    from flows.phase import run_phase
    from testing_lib.cures.proposal_markdown import proposal_markdown
    from testing_lib.cures.proposals import load_proposal

    root = CLASH.write(tmp_path)

    state = run_phase(target=str(root), phase="foundation", cures="propose", return_state=True)

    assert state.is_failed()
    proposal = load_proposal(root)
    assert proposal.report.reused == ["foundation"]
    assert [g.status for g in proposal.report.groups] == ["proven"]
    markdown = proposal_markdown(proposal, CLASH.name)
    assert "- foundation: using the latest run (saved " in markdown
    later = propose_cures(load_target_config(root), ["foundation"])
    assert later.report.reused == ["foundation"]
    assert later.runs == 1
