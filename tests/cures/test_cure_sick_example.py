"""`remediate fix --apply` on the bundled sick example, then each phase replayed in a fresh
pytest process, as a user would: every phase runs more tests than before, and no test that
passed before fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.fix import fix_app
from testing_lib.config.phases import PHASE_ORDER
from testing_lib.config.target import load_target_config
from testing_lib.results import TestStatus, TestSuiteResult
from testing_lib.runner import run_pytest
from testing_lib.selection import resolve_selection

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sick_api"
EXPECTED = json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))


def phase_run(root: Path, phase: str) -> TestSuiteResult:
    """The phase's selection in a fresh pytest, as its gate runs it."""
    target = load_target_config(root)
    config = target.phase(phase)  # type: ignore[arg-type]
    return run_pytest(
        cwd=root,
        selection=list(resolve_selection(target, phase).existing),  # type: ignore[arg-type]
        python=target.python,
        extra_args=config.pytest_args,
        test_timeout_s=config.test_timeout_s,
        timeout_s=config.timeout_s,
    )


def test_the_example_is_cured_where_it_can_be(tmp_path: Path) -> None:
    ignore = shutil.ignore_patterns(".remediation", "__pycache__")
    pristine = Path(shutil.copytree(EXAMPLE, tmp_path / "before" / "sick_api", ignore=ignore))
    root = Path(shutil.copytree(EXAMPLE, tmp_path / "after" / "sick_api", ignore=ignore))

    result = CliRunner().invoke(fix_app, [str(root), "--apply"])

    assert result.exit_code == 0, result.output
    for cure in ("async-mode", "package-markers", "moved-import"):
        assert f"cure ({cure})" in result.output
    assert ": refused" not in result.output
    passed_before = {
        r.test_name
        for r in phase_run(pristine, "final_validation").results
        if r.status is TestStatus.PASSED
    }
    for phase in PHASE_ORDER:
        after = phase_run(root, phase)
        expected = EXPECTED[phase]
        ran_before = expected["passed"] + expected["failed"] + expected["errors"]
        assert len(after.results) > ran_before, phase
        assert len(after.collection_errors) < expected["collection_errors"], phase
        status = {r.test_name: r.status for r in after.results}
        broken = [t for t in passed_before if t in status and status[t] is not TestStatus.PASSED]
        assert broken == [], phase
