"""Applying in slices (`--only`, `--max-moves`), and the plan grouped by reason."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cli.organize import main
from testing_lib.organizer import TestFileOrganizer
from testing_lib.organizer.audit import run_audit
from testing_lib.organizer.plan import create_plan
from tests.organizer.conftest import MakeProject, tree_digest
from tests.organizer.test_org_shapes import SHAPES, collect

FILES = {
    "tests/test_auth_tokens.py": "def test_token():\n    assert True\n",
    "tests/api/test_items_api.py": "def test_items():\n    assert True\n",
    "tests/api/test_users_api.py": "def test_users():\n    assert True\n",
    "tests/helpers.py": "def build():\n    return 1\n",
}


def test_only_plans_the_moves_under_a_path(make_project: MakeProject) -> None:
    root = make_project(FILES)
    audit = run_audit(root)
    everything = create_plan(audit).mapping()

    plan = create_plan(audit, only=["tests/api"])

    assert set(plan.mapping()) == {p for p in everything if p.startswith("tests/api/")}
    stays = next(e for e in plan.entries if e.source == "tests/helpers.py")
    assert not stays.moves
    assert "outside --only tests/api" in stays.reason


def test_max_moves_applies_one_slice_and_the_next_run_plans_the_rest(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(FILES)
    before = collect(root)
    everything = create_plan(run_audit(root)).mapping()
    assert len(everything) == 4

    assert main([str(root), "--apply", "--max-moves", "1", "--python", sys.executable]) == 0

    assert "applied" in capsys.readouterr().out
    moved = [p for p in everything if not (root / p).exists()]
    assert moved == [sorted(everything)[0]]
    assert not before.tests - collect(root).tests
    organizer = TestFileOrganizer(root, python=sys.executable)
    assert len(organizer.create_organization_plan()) == 3


def test_the_report_groups_moves_by_destination_and_stays_by_reason(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(SHAPES["reexporting_test_package"].files)
    report_path = tmp_path / "report.json"

    assert main([str(root), "--json", str(report_path), "--python", sys.executable]) == 0

    printed = capsys.readouterr().out
    assert "what stays, and why" in printed
    assert "stays: its package moves whole or not at all" in printed
    groups = {g["label"]: g for g in json.loads(report_path.read_text())["groups"]}
    assert groups["stays: its package moves whole or not at all"]["files"] == [
        "tests/test_fixtures/constants.py",
        "tests/test_fixtures/project_fixtures.py",
        "tests/test_fixtures/user_fixtures.py",
    ]
    assert groups["move -> tests/unit/"]["moves"] is True
    assert "tests/test_users.py" in groups["move -> tests/unit/"]["files"]


def test_only_outside_the_target_exits_2(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(FILES)
    before = tree_digest(root)

    assert main([str(root), "--only", str(tmp_path)]) == 2

    assert "is not inside" in capsys.readouterr().err.replace("\n", "")
    assert tree_digest(root) == before
