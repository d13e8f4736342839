"""`remediate organize`: the dry run's tables, and bad input (exit 2, nothing changed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cli.organize import main
from tests.organizer.conftest import MakeProject, tree_digest

FILES = {
    "test_root_level.py": "def test_a():\n    assert 1\n",
    "tests/test_api_endpoints.py": "def test_b():\n    assert 2\n",
}


def test_a_dry_run_prints_the_plan_and_changes_nothing(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(FILES)
    before = tree_digest(root)

    assert main([str(root)]) == 0

    printed = capsys.readouterr().out
    assert "organization plan" in printed
    assert "test_root_level.py" in printed
    assert "dry run: nothing changed" in printed
    assert tree_digest(root) == before
    assert not (root / ".remediation").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--apply", "--undo"], "either --apply or --undo"),
        (["--undo"], "nothing to undo"),
        (["--python", "/nonexistent/python3"], "not found or not executable"),
    ],
)
def test_bad_input_exits_2_naming_the_fix(
    make_project: MakeProject,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    root = make_project(FILES)
    before = tree_digest(root)

    assert main([str(root), *args]) == 2

    assert message in capsys.readouterr().err.replace("\n", "")
    assert tree_digest(root) == before


def test_a_missing_target_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_json_pointing_at_a_folder_exits_2(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(FILES)
    assert main([str(root), "--json", str(root)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_a_rolled_back_apply_exits_1(
    make_project: MakeProject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from testing_lib.organizer import ExecutionResult, TestFileOrganizer

    root = make_project(FILES)

    def rolled_back(self: TestFileOrganizer, plan: object = None, *, apply: bool = False) -> object:
        return ExecutionResult(applied=True, rolled_back=True, message="rolled back: 1 test lost")

    monkeypatch.setattr(TestFileOrganizer, "execute_reorganization", rolled_back)

    assert main([str(root), "--apply", "--python", sys.executable]) == 1
    assert "rolled back: 1 test lost" in capsys.readouterr().out
