"""A codemod plan that creates files: the diff from /dev/null."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing_lib.codemods import CodemodPlan, FilePlan

OLD = b"def test_old():\n    assert True\n"


def created(root: Path, relative: str, after: bytes = b"") -> FilePlan:
    return FilePlan(root / relative, relative, b"", after, created=True)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_old.py").write_bytes(OLD)
    return tmp_path


def test_a_created_file_diffs_from_dev_null_as_git_shows_it(root: Path) -> None:
    diff = created(root, "tests/conftest.py", b"import pytest\nX = 1\n").diff()

    assert diff.splitlines() == [
        "--- /dev/null",
        "+++ b/tests/conftest.py",
        "@@ -0,0 +1,2 @@",
        "+import pytest",
        "+X = 1",
    ]


def test_an_empty_created_file_is_a_change_and_its_diff_names_it(root: Path) -> None:
    init = created(root, "tests/__init__.py")
    plan = CodemodPlan(root=root, files=[init])

    assert init.changed
    assert plan.changes == [init]
    assert plan.diff() == "--- /dev/null\n+++ b/tests/__init__.py\n"


def test_a_file_to_create_has_no_bytes_before(root: Path) -> None:
    with pytest.raises(ValueError, match="tests/x.py: a created file has no bytes before"):
        FilePlan(root / "tests/x.py", "tests/x.py", b"old", b"new", created=True)
