"""Saved proposals: applied all or in part, only to the content they were proven on."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing_lib.codemods import undo_run
from testing_lib.cures.cure_models import Change, CureReport, GroupCure
from testing_lib.cures.proposals import (
    ProposalError,
    apply_proposal,
    chosen_plans,
    load_proposal,
    save_proposal,
)
from testing_lib.cures.session import CurePlan
from testing_lib.fingerprint import content_digest


def _group(label: str) -> GroupCure:
    return GroupCure(kind="k", label=label, count=1, status="proven", cure="c")


@pytest.fixture
def plan(tmp_path: Path) -> CurePlan:
    (tmp_path / "pytest.ini").write_bytes(b"[pytest]\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_bytes(b"import x\n")
    first = Change("pytest.ini", b"[pytest]\n", b"[pytest]\nasyncio_mode = auto\n")
    marker = Change("tests/__init__.py", b"", b"", created=True)
    second = Change("pytest.ini", first.after, first.after + b"addopts = -ra\n")
    report = CureReport(root=str(tmp_path), phases=["foundation"])
    report.groups = [_group("one"), _group("two"), _group("three")]
    return CurePlan(
        root=tmp_path,
        report=report,
        digest=content_digest(tmp_path),
        by_group={0: (first,), 1: (marker,), 2: (second,)},
    )


def test_a_saved_proposal_applies_all_its_cures_and_undoes(plan: CurePlan) -> None:
    saved = save_proposal(plan)
    assert load_proposal(plan.root).id == saved.id
    original = (plan.root / "pytest.ini").read_bytes()

    _, report = apply_proposal(plan.root, saved.id)

    assert (
        plan.root / "pytest.ini"
    ).read_bytes() == b"[pytest]\nasyncio_mode = auto\naddopts = -ra\n"
    assert (plan.root / "tests" / "__init__.py").is_file()
    undo_run(plan.root, report.run_id)
    assert (plan.root / "pytest.ini").read_bytes() == original
    assert not (plan.root / "tests" / "__init__.py").exists()


def test_some_cures_only_with_those_they_build_on(plan: CurePlan) -> None:
    saved = save_proposal(plan)

    assert [p.relative for p in chosen_plans(saved, {2})] == ["tests/__init__.py"]
    with pytest.raises(ProposalError, match="cure 3 builds on cure 1 \\(pytest.ini\\)"):
        chosen_plans(saved, {3})
    (both,) = chosen_plans(saved, {1, 3})
    assert both.before == b"[pytest]\n"
    assert both.after.endswith(b"addopts = -ra\n")
    with pytest.raises(ProposalError, match="no proven cure numbered 9"):
        chosen_plans(saved, {9})


def test_a_target_that_changed_since_the_proof_refuses_the_proposal(plan: CurePlan) -> None:
    saved = save_proposal(plan)
    (plan.root / "tests" / "test_a.py").write_bytes(b"import y\n")  # not a file it patches

    with pytest.raises(ProposalError, match="the target changed since proposal"):
        apply_proposal(plan.root, saved.id)
    assert (plan.root / "pytest.ini").read_bytes() == b"[pytest]\n"
