"""`--apply` writes what the dry run showed: kept with the options and the target's digest."""

from __future__ import annotations

from pathlib import Path

from testing_lib.codemods import CodemodPlan, FilePlan
from testing_lib.isolation.fix_models import FixReport
from testing_lib.isolation.fix_review import load_reviewed, reviewed_path, save_reviewed
from testing_lib.isolation.order_models import IsolationReport

OPTIONS = {"orders": 2, "seed": 1, "victims": [], "python": "python3"}


def _saved(root: Path) -> CodemodPlan:
    test = root / "tests" / "test_a.py"
    test.parent.mkdir(parents=True)
    test.write_bytes(b"def test_a():\n    pass\n")
    plan = CodemodPlan(
        root=root,
        files=[
            FilePlan(
                path=test,
                relative="tests/test_a.py",
                before=test.read_bytes(),
                after=b"import pytest\n\n\ndef test_a():\n    pass\n",
            )
        ],
    )
    report = IsolationReport(root=str(root), python="python3", seed=1, isolation_score=90.0)
    save_reviewed(root, OPTIONS, report, FixReport(root=str(root)), plan)
    return plan


def test_the_reviewed_plan_comes_back_for_the_same_options_on_the_same_content(
    tmp_path: Path,
) -> None:
    plan = _saved(tmp_path)

    reviewed = load_reviewed(tmp_path, dict(OPTIONS))

    assert reviewed is not None
    assert reviewed.plan(tmp_path).diff() == plan.diff()
    assert reviewed.report.seed == 1
    assert reviewed_path(tmp_path).is_relative_to(tmp_path / ".remediation")


def test_other_options_or_any_changed_file_prove_afresh(tmp_path: Path) -> None:
    _saved(tmp_path)

    assert load_reviewed(tmp_path, {**OPTIONS, "seed": 2}) is None
    (tmp_path / "conftest.py").write_text("")  # any file, not only the patched ones
    assert load_reviewed(tmp_path, OPTIONS) is None


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    _saved(tmp_path)
    reviewed_path(tmp_path).write_text("{not json")

    assert load_reviewed(tmp_path, OPTIONS) is None


def test_a_reviewed_new_file_comes_back_as_a_file_to_create(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    init = tmp_path / "tests" / "__init__.py"
    plan = CodemodPlan(
        root=tmp_path,
        files=[FilePlan(init, "tests/__init__.py", b"", b"", created=True)],
    )
    report = IsolationReport(root=str(tmp_path), python="python3", seed=1, isolation_score=90.0)
    save_reviewed(tmp_path, OPTIONS, report, FixReport(root=str(tmp_path)), plan)

    reviewed = load_reviewed(tmp_path, dict(OPTIONS))

    assert reviewed is not None
    assert reviewed.plan(tmp_path).files == plan.files
