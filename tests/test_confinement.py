"""Tests of another project never count for the target: refused in its configuration,
and taken out of the run by the collector whatever argument brought them in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cli.main import main
from testing_lib.config import PhaseConfig, load_target_config
from testing_lib.exceptions import TargetConfigError
from testing_lib.gate_decision import decide_gate
from testing_lib.report import PhaseStatus
from testing_lib.runner import run_pytest
from tests.conftest import PASSING, MakeTarget, write_tree


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    outside = tmp_path / "elsewhere"
    write_tree(outside, {"test_outside.py": PASSING})
    return outside


def test_a_selection_symlinked_out_of_the_target_is_refused(
    make_target: MakeTarget, elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = make_target(base=False)
    (target / "tests").mkdir()
    (target / "tests" / "unit").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(TargetConfigError, match=r"'tests/unit' leads to .*elsewhere, outside"):
        load_target_config(target)
    assert main(["run", str(target)]) == 2
    err = capsys.readouterr().err
    assert "tests/unit" in err
    assert len(err.strip().splitlines()) == 1


def test_pytest_args_that_reach_out_of_the_target_are_refused(
    make_target: MakeTarget, elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = make_target(
        pyproject='[tool.remediation.phases.foundation]\npytest_args = ["../elsewhere"]\n'
    )
    assert main(["run", str(target), "--phase", "foundation"]) == 2
    assert "pytest_args '../elsewhere' leads to" in capsys.readouterr().err


def test_options_in_pytest_args_are_not_mistaken_for_paths(make_target: MakeTarget) -> None:
    target = make_target(
        pyproject='[tool.remediation.phases.foundation]\npytest_args = ["-p", "no:warnings"]\n'
    )
    assert load_target_config(target).phase("foundation").pytest_args == ["-p", "no:warnings"]


def test_the_collector_takes_outside_tests_out_of_the_run(
    make_target: MakeTarget, elsewhere: Path
) -> None:
    target = make_target({"tests/unit/test_inside.py": PASSING})
    suite = run_pytest(
        cwd=target,
        selection=["tests/unit", str(elsewhere)],
        python=sys.executable,
        timeout_s=120,
        confine_to=target,
    )
    ran = [r.test_name for r in suite.results]
    assert "tests/unit/test_inside.py::test_ok" in ran
    assert all("outside" not in test for test in ran)
    (error,) = suite.collection_errors
    assert "OutsideTargetError" in error.message
    status, reason = decide_gate("foundation", suite, PhaseConfig(paths=["tests/unit"]))
    assert status is PhaseStatus.FAILED
    assert "OutsideTargetError" in reason
