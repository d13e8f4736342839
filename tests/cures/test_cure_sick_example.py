"""The bundled sick example cured: every curable group's cure proven together, written, and
the whole suite replayed in a fresh pytest process; every phase runs more tests than
before, and no test that passed before fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from testing_lib.codemods import CodemodPlan, apply_plan
from testing_lib.config.phases import PHASE_ORDER
from testing_lib.config.target import load_target_config
from testing_lib.cures.session import CODEMOD, propose_cures
from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sick_api"
EXPECTED = json.loads((EXAMPLE / "expected.json").read_text(encoding="utf-8"))


def test_the_example_is_cured_where_it_can_be(tmp_path: Path) -> None:
    ignore = shutil.ignore_patterns(".remediation", "__pycache__")
    root = Path(shutil.copytree(EXAMPLE, tmp_path / "sick_api", ignore=ignore))
    target = load_target_config(root)

    safe = {"async-mode", "package-markers", "moved-import"}  # the unsafe one is tested apart

    plan = propose_cures(target, PHASE_ORDER, only=safe)

    assert {group.cure for group in plan.report.proven} == safe
    assert not [group for group in plan.report.groups if group.status == "refused"]
    for phase in PHASE_ORDER:  # the proof's own runs: before, and with every cure
        expected, before, after = EXPECTED[phase], plan.first[phase], plan.last[phase]
        assert len(before.collection_errors) == expected["collection_errors"], phase
        assert len(after.results) > len(before.results), phase
        status = {r.test_name: r.status for r in after.results}
        passed = [r.test_name for r in before.results if r.status is TestStatus.PASSED]
        assert all(status.get(test) is TestStatus.PASSED for test in passed), phase

    applied = apply_plan(CodemodPlan(root=root, files=plan.file_plans()), codemod=CODEMOD)

    assert not applied.conflicts
    config = target.phase("final_validation")
    replayed = run_pytest(  # the whole suite, fresh, on the tree as written
        cwd=root, selection=[], python=target.python, test_timeout_s=config.test_timeout_s
    )
    assert sorted(r.test_name for r in replayed.results) == sorted(
        r.test_name for r in plan.last["final_validation"].results
    )
    assert replayed.passed_tests == plan.last["final_validation"].passed_tests
