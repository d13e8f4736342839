"""`remediate isolation` and the nightly flow refuse a target without tests before writing.

A wrong folder gets one line naming the problem and the fix, exit 2, and is left exactly
as it was: no `.remediation/`, no run lock.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.main import main
from testing_lib.exceptions import TargetConfigError
from testing_lib.isolation.preflight import find_tests
from tests.conftest import write_tree
from tests.unreadable import Block, deny


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Block:
    return deny(monkeypatch)


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"README.md": "not a project\n", "app/main.py": "X = 1\n"},
        # a tests/ folder makes it a configured target, still without a test module
        {"tests/__init__.py": "", "tests/helpers.py": "def helper():\n    pass\n"},
    ],
    ids=["empty", "no-test-module", "empty-tests-folder"],
)
def test_a_folder_without_tests_exits_2_with_one_line_and_is_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    write_tree(tmp_path, files)
    before = listing(tmp_path)

    assert main(["isolation", str(tmp_path)]) == 2

    (line,) = error_lines(capsys)
    assert line.startswith(f"error: no tests found under {tmp_path.resolve()} (")
    assert "point remediate isolation at a project with tests" in line
    assert listing(tmp_path) == before  # no .remediation/, no run.lock


def test_a_nonexistent_target_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = listing(tmp_path)

    assert main(["isolation", str(tmp_path / "absent")]) == 2

    (line,) = error_lines(capsys)
    assert line.startswith(f"error: target '{tmp_path / 'absent'}' is not a directory")
    assert "nothing is there" in line
    assert listing(tmp_path) == before


def test_tests_only_in_an_unreadable_folder_are_named_in_the_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], unreadable: Block
) -> None:
    write_tree(tmp_path, {"private/test_secret.py": "def test_x():\n    pass\n"})
    unreadable(tmp_path / "private")

    assert main(["isolation", str(tmp_path)]) == 2

    (line,) = error_lines(capsys)
    assert "cannot read private" in line
    assert "make those folders readable" in line
    assert os.listdir(tmp_path) == ["private"]  # listdir is not made to fail


def test_find_tests_counts_selected_files_whatever_their_name(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"checks/smoke.py": "def test_x():\n    pass\n", "tests/test_a.py": "", "app/x.py": ""},
    )

    assert find_tests(tmp_path).test_files == ("tests/test_a.py",)
    assert find_tests(tmp_path, ["checks/smoke.py::test_x"]).test_files == ("checks/smoke.py",)
    assert find_tests(tmp_path, ["app"]).problem == (
        f"no tests found under {tmp_path.resolve()} (no file matching test_*.py or *_test.py "
        "in app)"
    )


def test_the_nightly_flow_refuses_a_target_without_tests_before_its_lock(
    tmp_path: Path,
) -> None:
    from flows.nightly_isolation import nightly_isolation

    write_tree(tmp_path, {"pyproject.toml": "[tool.remediation]\n", "tests/__init__.py": ""})
    before = listing(tmp_path)

    with pytest.raises(TargetConfigError, match="no tests found under"):
        nightly_isolation.fn(target=str(tmp_path), orders=2, seed=1)

    assert listing(tmp_path) == before
