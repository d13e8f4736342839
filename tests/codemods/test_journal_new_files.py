"""A codemod plan that creates files: the diff from /dev/null, the journaled apply that never
replaces a file, the rollback and the undo that remove only what the codemod wrote."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from testing_lib.codemods import CodemodPlan, FilePlan, apply_plan, undo_run
from testing_lib.codemods import codemod_journal as journal_module
from testing_lib.target_writes import WriteFailed

CONFTEST = b"import pytest\n\n\n@pytest.fixture\ndef ready():\n    return True\n"
OLD = b"def test_old():\n    assert True\n"
NEW = b"def test_old(ready):\n    assert ready\n"


def created(root: Path, relative: str, after: bytes = b"") -> FilePlan:
    return FilePlan(root / relative, relative, b"", after, created=True)


def rewritten(root: Path, relative: str, after: bytes = NEW) -> FilePlan:
    path = root / relative
    return FilePlan(path, relative, path.read_bytes(), after)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_old.py").write_bytes(OLD)
    return tmp_path


def mixed(root: Path) -> CodemodPlan:
    """A rewrite between two new files: a package marker and a conftest."""
    return CodemodPlan(
        root=root,
        files=[
            created(root, "tests/unit/__init__.py"),
            rewritten(root, "tests/unit/test_old.py"),
            created(root, "tests/unit/conftest.py", CONFTEST),
        ],
    )


def entries(journal: Path) -> dict[str, dict[str, object]]:
    return {entry["path"]: entry for entry in json.loads(journal.read_text())["files"]}


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


def test_apply_creates_the_new_files_and_undo_removes_them(root: Path) -> None:
    report = apply_plan(mixed(root), codemod="cures")

    unit = root / "tests" / "unit"
    assert report.applied == [
        "tests/unit/__init__.py",
        "tests/unit/test_old.py",
        "tests/unit/conftest.py",
    ]
    assert report.conflicts == []
    assert (unit / "__init__.py").read_bytes() == b""
    assert (unit / "conftest.py").read_bytes() == CONFTEST
    umask = os.umask(0)
    os.umask(umask)
    assert (unit / "conftest.py").stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(p.name for p in unit.iterdir()) == ["__init__.py", "conftest.py", "test_old.py"]
    journaled = entries(report.journal)
    assert journaled["tests/unit/conftest.py"]["created"] is True
    assert journaled["tests/unit/conftest.py"]["backup"] is None
    assert journaled["tests/unit/conftest.py"]["sha256_before"] is None
    assert journaled["tests/unit/conftest.py"]["applied"] is True
    assert journaled["tests/unit/test_old.py"]["created"] is False
    backups = list((report.journal.parent / "backups").iterdir())
    assert [b.read_bytes() for b in backups] == [OLD]  # only the rewrite's

    undone = undo_run(root)

    assert undone.restored == [
        "tests/unit/conftest.py",
        "tests/unit/test_old.py",
        "tests/unit/__init__.py",
    ]
    assert sorted(p.name for p in unit.iterdir()) == ["test_old.py"]
    assert (unit / "test_old.py").read_bytes() == OLD
    assert json.loads(report.journal.read_text())["status"] == "undone"
    assert list((report.journal.parent / "backups").iterdir()) == []  # nothing kept behind


@pytest.mark.parametrize("there", ["file", "dangling link", "folder"])
def test_apply_never_replaces_what_appeared_where_it_creates_a_file(root: Path, there: str) -> None:
    plan = mixed(root)
    conftest = root / "tests/unit/conftest.py"
    if there == "file":
        conftest.write_bytes(b"# the user's own\n")
    elif there == "dangling link":
        conftest.symlink_to(root / "nowhere.py")
    else:
        conftest.mkdir()

    report = apply_plan(plan, codemod="cures")

    assert report.conflicts == ["tests/unit/conftest.py"]
    assert report.applied == ["tests/unit/__init__.py", "tests/unit/test_old.py"]
    assert entries(report.journal)["tests/unit/conftest.py"]["skipped"] == "exists already"
    if there == "file":
        assert conftest.read_bytes() == b"# the user's own\n"
    assert not list(conftest.parent.glob(".*.tmp"))

    undone = undo_run(root)

    assert "tests/unit/conftest.py" not in undone.restored + undone.already + undone.conflicts
    assert os.path.lexists(conftest)


def test_a_file_to_create_in_a_missing_folder_is_left_alone(root: Path) -> None:
    plan = CodemodPlan(root=root, files=[created(root, "tests/gone/__init__.py")])

    report = apply_plan(plan, codemod="cures")

    assert report.conflicts == ["tests/gone/__init__.py"]
    assert report.applied == []
    assert not (root / "tests" / "gone").exists()
    assert entries(report.journal)["tests/gone/__init__.py"]["skipped"] == "its folder is missing"


def test_undo_leaves_a_created_file_edited_since_alone(root: Path) -> None:
    apply_plan(mixed(root), codemod="cures")
    conftest = root / "tests/unit/conftest.py"
    conftest.write_bytes(CONFTEST + b"# edited by hand\n")

    undone = undo_run(root)

    assert undone.conflicts == ["tests/unit/conftest.py"]
    assert undone.restored == ["tests/unit/test_old.py", "tests/unit/__init__.py"]
    assert conftest.read_bytes() == CONFTEST + b"# edited by hand\n"


def test_undo_counts_a_created_file_removed_since_as_already_undone(root: Path) -> None:
    apply_plan(mixed(root), codemod="cures")
    (root / "tests/unit/__init__.py").unlink()

    undone = undo_run(root)

    assert undone.already == ["tests/unit/__init__.py"]
    assert undone.conflicts == []
    assert not (root / "tests/unit/conftest.py").exists()


def test_undo_removes_a_file_an_interrupted_run_created_but_never_marked(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = journal_module._save
    saves = []

    def killed_after_the_first_creation(path: Path, journal: dict[str, object]) -> None:
        saves.append(path)
        if len(saves) == 2:  # the file is created; the mark saying so never lands
            raise KeyboardInterrupt
        real_save(path, journal)

    monkeypatch.setattr(journal_module, "_save", killed_after_the_first_creation)
    with pytest.raises(KeyboardInterrupt):
        apply_plan(mixed(root), codemod="cures")
    monkeypatch.undo()
    assert (root / "tests/unit/__init__.py").exists()

    undone = undo_run(root)

    assert undone.restored == ["tests/unit/__init__.py"]
    assert sorted(p.name for p in (root / "tests/unit").iterdir()) == ["test_old.py"]


def test_a_failed_apply_leaves_alone_a_file_it_had_not_created_yet(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else made the very file the plan creates, before the run got to it."""
    plan = CodemodPlan(
        root=root,
        files=[rewritten(root, "tests/unit/test_old.py"), created(root, "tests/unit/__init__.py")],
    )
    (root / "tests/unit/__init__.py").write_bytes(b"")

    real_replace = journal_module.replace_bytes

    def full(path: Path, data: bytes) -> None:
        if path.name != "test_old.py":
            return real_replace(path, data)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(journal_module, "replace_bytes", full)
    with pytest.raises(WriteFailed, match="nothing was changed") as failed:
        apply_plan(plan, codemod="cures")

    assert failed.value.whole
    assert (root / "tests/unit/__init__.py").exists()
    assert not (root / ".remediation").exists()


def test_a_created_file_edited_while_the_run_failed_stops_the_rollback_and_undo_finishes_it(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init = root / "tests/unit/__init__.py"
    plan = CodemodPlan(
        root=root,
        files=[created(root, "tests/unit/__init__.py"), rewritten(root, "tests/unit/test_old.py")],
    )

    real_replace = journal_module.replace_bytes

    def edited_then_full(path: Path, data: bytes) -> None:
        if path.name != "test_old.py":
            return real_replace(path, data)
        init.write_bytes(b"# edited meanwhile\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(journal_module, "replace_bytes", edited_then_full)
    with pytest.raises(WriteFailed, match="changed while it ran: tests/unit/__init__.py") as failed:
        apply_plan(plan, codemod="cures")
    monkeypatch.undo()

    assert not failed.value.whole
    assert init.read_bytes() == b"# edited meanwhile\n"
    assert (root / "tests/unit/test_old.py").read_bytes() == OLD
    undone = undo_run(root)
    assert undone.conflicts == ["tests/unit/__init__.py"]
    assert init.read_bytes() == b"# edited meanwhile\n"


def test_an_undo_that_fails_puts_back_the_files_it_had_removed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = apply_plan(mixed(root), codemod="cures")
    journal = report.journal.read_bytes()
    real_save = journal_module._save

    def full(path: Path, data: dict[str, object]) -> None:
        if data.get("status") != "applied":  # the undo's record, not the take-back's
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_save(path, data)

    monkeypatch.setattr(journal_module, "_save", full)
    with pytest.raises(WriteFailed, match="nothing was changed"):
        undo_run(root)
    monkeypatch.undo()

    unit = root / "tests/unit"
    assert (unit / "__init__.py").read_bytes() == b""
    assert (unit / "conftest.py").read_bytes() == CONFTEST
    assert (unit / "test_old.py").read_bytes() == NEW
    assert report.journal.read_bytes() == journal
    assert not list((report.journal.parent / "backups").glob("*.codemod"))
    assert len(undo_run(root).restored) == 3
