"""A test that passes alone and fails after another one is cured like any failure group:
`remediate fix` reads the latest isolation report, groups the test by the order it depends
on, finds the order-dependence fix on the cures' scratch copy, proves it (the pair's replay,
then the phase's run), writes it with `--apply`, and `remediate fix undo` puts it back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.fix import fix_app
from cli.main import app
from cli.run import _order_dependent_lines
from testing_lib.report import PhaseReport, PhaseStatus, RemediationReport
from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest
from tests.cures.sick_shapes import Shape
from tests.cures.test_cure_shapes import outcomes, snapshot

pytestmark = pytest.mark.slow

VICTIM = "tests/test_b_reads.py::test_reads_the_default_mode"

ENV_POLLUTER = Shape(
    name="env_polluter",
    cure="order-dependence",
    files={
        "tests/test_a_sets.py": (
            "import os\n\n\n"
            "def test_turns_debug_on():\n"
            '    os.environ["APP_MODE"] = "debug"\n'
            '    assert os.environ["APP_MODE"] == "debug"\n'
        ),
        "tests/test_b_reads.py": (
            "import os\n\n\n"
            "def test_reads_the_default_mode():\n"
            '    assert os.environ.get("APP_MODE", "prod") == "prod"\n\n\n'
            "def test_still_passes():\n"
            "    assert 1 + 1 == 2\n"
        ),
    },
    cured_tests=(VICTIM,),
)


def test_an_order_dependent_failure_is_cured_once_the_isolation_report_names_it(
    tmp_path: Path,
) -> None:
    root = ENV_POLLUTER.write(tmp_path)
    original = snapshot(root)
    runner = CliRunner()
    fix = [str(root), "--phase", "final_validation"]

    unknown = runner.invoke(fix_app, fix)  # no isolation report yet: an assertion, no cure

    assert "order-dependence" not in unknown.output, unknown.output
    assert "no cure" in unknown.output
    assert f"`remediate isolation {root}` finds the test they fail after" in " ".join(
        unknown.output.split()
    )

    found = runner.invoke(app, ["isolation", str(root)])

    assert found.exit_code == 1, found.output  # order dependence found
    assert VICTIM in found.output
    # `remediate run` points at the cure of a phase where the victim failed after its polluter
    phase = PhaseReport(
        name="final_validation",
        status=PhaseStatus.FAILED,
        reason="",
        suite=run_pytest(cwd=root, selection=[], suite_name="final_validation"),
    )
    run = RemediationReport(
        target=str(root), run_id="r", started_at=datetime.now(UTC), phases=[phase]
    )
    assert _order_dependent_lines(run, root) == [
        "cure to try: 1 × passes alone, fails after another test (the latest isolation "
        f"report): remediate fix {root} --phase final_validation"
    ]

    applied = runner.invoke(fix_app, [*fix, "--apply"])

    assert applied.exit_code == 0, applied.output
    assert "passes alone, fails after another test (tests/test_a_sets.py)" in applied.output
    assert "cure (order-dependence)" in applied.output
    assert "proven [safe]" in applied.output
    assert "✓ proof, replay" in applied.output  # the pair's own run, with its command
    assert "tests/test_a_sets.py::test_turns_debug_on " + VICTIM in applied.output
    assert "✓ proof, final_validation" in applied.output
    assert "APP_MODE" in (root / "tests/test_a_sets.py").read_text()  # what it restores
    after = outcomes(root)
    assert after[VICTIM] is TestStatus.PASSED, after
    assert all(status is TestStatus.PASSED for status in after.values()), after

    undone = runner.invoke(fix_app, ["undo", str(root)])

    assert undone.exit_code == 0, undone.output
    assert snapshot(root) == original
