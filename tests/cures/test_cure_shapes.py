"""Each kind of cure end to end, as a user runs it: `remediate fix TARGET --apply` proves the
cure on a scratch copy and writes it, the group's tests then run and pass, and
`remediate fix undo` puts the tree back byte for byte; an obvious cure that breaks a
passing test is refused, with the proof run that failed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.fix import fix_app
from testing_lib.organizer.pytest_settings import nested_pytest_home
from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest
from tests.cures.sick_shapes import (
    CLASH_WITH_SIBLING_IMPORT,
    CURABLE,
    MISSING_PACKAGE,
    MIXED,
    Shape,
)

pytestmark = pytest.mark.slow

SKIPPED = {".remediation", "__pycache__", ".pytest_cache"}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not SKIPPED & set(path.relative_to(root).parts)
    }


def outcomes(root: Path) -> dict[str, TestStatus]:
    """The whole suite in a fresh pytest, from where its configuration says it runs."""
    home = nested_pytest_home(root) or root
    suite = run_pytest(cwd=home, selection=[], suite_name="after-the-cure")
    assert not suite.collection_errors, suite.collection_errors
    return {result.test_name: result.status for result in suite.results}


@pytest.mark.parametrize("shape", CURABLE, ids=lambda shape: shape.name)
def test_the_cure_is_proven_applied_and_undone(shape: Shape, tmp_path: Path) -> None:
    root = shape.write(tmp_path)
    original = snapshot(root)
    runner = CliRunner()

    applied = runner.invoke(fix_app, [str(root), "--phase", "final_validation", "--apply"])

    assert applied.exit_code == 0, applied.output
    assert f"cure ({shape.cure})" in applied.output
    assert "proven [safe]" in applied.output
    after = outcomes(root)
    for test in shape.cured_tests:
        assert after.get(test) is TestStatus.PASSED, (test, after)
    assert all(status is TestStatus.PASSED for status in after.values()), after

    undone = runner.invoke(fix_app, ["undo", str(root)])

    assert undone.exit_code == 0, undone.output
    assert snapshot(root) == original


def test_a_cure_that_breaks_a_passing_test_is_refused_with_its_proof(tmp_path: Path) -> None:
    root = CLASH_WITH_SIBLING_IMPORT.write(tmp_path)
    original = snapshot(root)

    result = CliRunner().invoke(fix_app, [str(root), "--phase", "final_validation", "--apply"])

    assert result.exit_code == 1, result.output
    assert "refused" in result.output
    assert "tests/unit/test_sibling.py" in result.output  # the module it broke, named
    assert "✗ proof, final_validation" in result.output
    assert "-m pytest --continue-on-collection-errors" in result.output  # the failing run
    assert snapshot(root) == original  # nothing written


def test_an_unsafe_cure_is_proven_but_written_only_when_named(tmp_path: Path) -> None:
    root = MISSING_PACKAGE.write(tmp_path)
    original = snapshot(root)
    runner = CliRunner()

    unnamed = runner.invoke(fix_app, [str(root), "--phase", "final_validation", "--apply"])

    assert unnamed.exit_code == 0, unnamed.output
    assert "proven [unsafe]" in unnamed.output
    assert "not written unless named: --only skip-missing" in unnamed.output
    assert snapshot(root) == original

    named = runner.invoke(
        fix_app,
        [str(root), "--phase", "final_validation", "--only", "skip-missing", "--apply"],
    )

    assert named.exit_code == 0, named.output
    suite = run_pytest(cwd=root, selection=[], suite_name="after-the-cure")
    assert suite.collection_errors == []
    assert suite.skipped_modules == ["tests/test_scoring.py"]
    assert runner.invoke(fix_app, ["undo", str(root)]).exit_code == 0
    assert snapshot(root) == original


def test_a_refused_cure_does_not_take_a_good_one_with_it(tmp_path: Path) -> None:
    root = MIXED.write(tmp_path)

    result = CliRunner().invoke(fix_app, [str(root), "--phase", "final_validation"])

    assert result.exit_code == 1, result.output
    assert "async test no plugin ran: proven [safe]" in result.output
    assert "share a basename (test_money): refused [safe]" in result.output
    assert "1 cure(s) proven" in result.output
