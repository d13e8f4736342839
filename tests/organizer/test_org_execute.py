"""Apply and undo: collection checked before and after, rolled back by itself, byte for byte."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing_lib.organizer import OrganizerError, TestFileOrganizer, execute_plan, undo
from testing_lib.organizer import execute as execute_module
from testing_lib.organizer.journal import move as real_move
from tests.organizer.conftest import MakeProject, tree_digest, tree_dirs

FILES = {
    "app/__init__.py": "",
    "app/auth.py": "def token(user):\n    return user[::-1]\n",
    "tests/helpers.py": "def build():\n    return 'ab'\n",
    "test_tokens.py": """
        import pytest
        from app.auth import token
        from tests.helpers import build

        @pytest.mark.parametrize("user", ["ab", "cd"])
        def test_token(user):
            assert token(token(user)) == user

        def test_build():
            assert token(build()) == "ba"
        """,
    "tests/unit/conftest.py": """
        import pytest

        @pytest.fixture
        def user():
            return "ada"
        """,
    "tests/unit/test_user_integration.py": """
        import sqlite3

        def test_user(user):
            assert sqlite3.connect(":memory:") and user == "ada"
        """,
}


@pytest.fixture
def project(make_project: MakeProject) -> Path:
    return make_project(FILES, ini="pythonpath = .\n")


def test_apply_keeps_every_test_and_undo_restores_byte_for_byte(project: Path) -> None:
    before = tree_digest(project)
    dirs_before = tree_dirs(project)
    organizer = TestFileOrganizer(project, python=sys.executable)
    organizer.create_organization_plan()
    assert organizer.plan is not None
    assert organizer.plan.moves

    result = organizer.execute_reorganization(apply=True)

    assert (result.applied, result.rolled_back) == (True, False), result.message
    assert result.collected_before == result.collected_after == 4
    assert (result.errors_before, result.errors_after) == (0, 0)
    assert result.lost_tests == result.broken_tests == []
    after = tree_digest(project)
    assert "tests/unit/auth/test_tokens.py" in after
    assert "tests/conftest.py" in after  # lifted for the moved flow test
    assert (
        "from tests.fixtures.helpers import build"
        in (project / "tests/unit/auth/test_tokens.py").read_text()
    )

    undone = organizer.undo()

    assert undone.verified, undone.message
    assert tree_digest(project) == before
    assert tree_dirs(project) == dirs_before


def test_a_dry_run_changes_nothing(project: Path) -> None:
    before = tree_digest(project)
    organizer = TestFileOrganizer(project, python=sys.executable)

    result = organizer.execute_reorganization()

    assert result.applied is False
    assert "dry run" in result.message
    assert tree_digest(project) == before
    assert not (project / ".remediation").exists()


def test_a_plan_that_would_lose_a_test_rolls_back_by_itself(project: Path) -> None:
    before = tree_digest(project)
    organizer = TestFileOrganizer(project, python=sys.executable)

    result = organizer.execute_reorganization(
        {"test_tokens.py": "tests/unit/token_checks.py"}, apply=True
    )

    assert (result.applied, result.rolled_back) == (True, True)
    assert result.lost_tests == [
        "test_tokens.py::test_build",
        "test_tokens.py::test_token[ab]",
        "test_tokens.py::test_token[cd]",
    ]
    assert "3 test(s) would be lost: test_tokens.py::test_build" in result.message
    collected = f"{result.collected_before} -> {result.collected_after} tests collected"
    assert result.message.startswith(f"rolled back ({collected}, ")
    assert tree_digest(project) == before


def test_a_plan_that_would_strand_a_fixture_rolls_back_by_itself(project: Path) -> None:
    before = tree_digest(project)
    organizer = TestFileOrganizer(project, python=sys.executable)

    result = organizer.execute_reorganization(
        {"tests/unit/test_user_integration.py": "tests/integration/test_user_integration.py"},
        apply=True,
    )

    assert result.rolled_back is True
    assert result.lost_tests == []
    assert result.broken_tests == [
        "tests/integration/test_user_integration.py::test_user (fixture user not found)"
    ]
    assert tree_digest(project) == before


def test_a_plan_that_adds_a_collection_error_rolls_back(project: Path) -> None:
    (project / "tests/other").mkdir()
    (project / "tests/other/test_other.py").write_text("def test_other():\n    pass\n")
    before = tree_digest(project)
    organizer = TestFileOrganizer(project, python=sys.executable)

    # a second test_tokens.py outside packages: "import file mismatch"
    result = organizer.execute_reorganization(
        {"tests/other/test_other.py": "tests/unit/test_tokens.py"}, apply=True
    )

    assert result.rolled_back is True
    assert [e.nodeid for e in result.new_errors] == ["tests/unit/test_tokens.py"]
    assert result.lost_tests == ["tests/other/test_other.py::test_other"]
    assert tree_digest(project) == before


def test_a_stale_plan_is_refused(project: Path) -> None:
    organizer = TestFileOrganizer(project, python=sys.executable)
    organizer.create_organization_plan()
    assert organizer.plan is not None
    (project / "test_tokens.py").write_text("def test_changed():\n    pass\n")

    with pytest.raises(OrganizerError, match="changed since the plan was made"):
        execute_plan(organizer.plan, apply=True, python=sys.executable)
    assert not (project / "tests/unit/auth").exists()


def test_an_interrupted_apply_undoes_what_it_did(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree_digest(project)
    organizer = TestFileOrganizer(project, python=sys.executable)
    organizer.create_organization_plan()
    assert organizer.plan is not None
    calls = []

    def failing_move(root: Path, source: str, destination: str, *, via_git: bool) -> None:
        calls.append(source)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_move(root, source, destination, via_git=via_git)

    monkeypatch.setattr(execute_module, "move", failing_move)

    with pytest.raises(KeyboardInterrupt):
        organizer.execute_reorganization(organizer.plan, apply=True)
    assert tree_digest(project) == before


def test_undo_refuses_when_a_moved_file_was_edited(project: Path) -> None:
    organizer = TestFileOrganizer(project, python=sys.executable)
    result = organizer.execute_reorganization(apply=True)
    assert (result.applied, result.rolled_back) == (True, False)
    moved = project / "tests/unit/auth/test_tokens.py"
    moved.write_text(moved.read_text() + "\n# edited after the move\n")

    with pytest.raises(OrganizerError, match="tests/unit/auth/test_tokens.py"):
        undo(project)
    assert moved.is_file()


def test_nothing_to_undo_is_an_error_naming_the_folder(project: Path) -> None:
    with pytest.raises(OrganizerError, match="nothing to undo"):
        undo(project)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_in_a_git_work_tree_moves_are_git_moves_and_undo_restores_the_index(
    project: Path,
) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(project), *args], check=True, capture_output=True, text=True
        ).stdout

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "legacy")
    before = tree_digest(project)

    result = TestFileOrganizer(project, python=sys.executable).execute_reorganization(apply=True)

    assert (result.applied, result.rolled_back) == (True, False), result.message
    status = git("status", "--porcelain")
    assert "R  tests/unit/conftest.py -> tests/conftest.py" in status
    assert "RM test_tokens.py -> tests/unit/auth/test_tokens.py" in status

    assert undo(project).verified
    assert tree_digest(project) == before
    assert git("status", "--porcelain") == "?? .remediation/\n"


def test_an_apply_killed_before_journaling_a_step_is_still_undone(project: Path) -> None:
    from testing_lib.organizer.journal import latest_applied, load, save

    before = tree_digest(project)
    result = TestFileOrganizer(project, python=sys.executable).execute_reorganization(apply=True)
    assert result.applied
    folder = latest_applied(project)
    assert folder is not None
    journal = load(folder)
    journal.status = "in_progress"  # as if killed before the last steps were marked done
    for op in journal.ops[-3:]:
        op.done = False
    save(journal, folder)

    assert undo(project).verified
    assert tree_digest(project) == before
