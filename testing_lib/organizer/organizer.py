"""`TestFileOrganizer`: one facade over audit, duplicates, plan and execution.

Design choices:

- it takes the project root (where pytest runs), not the tests folder: a messy suite has
  test files outside `tests/`, and pytest's settings live at the root;
- `identify_duplicates` returns `DuplicatePair`s (files, similarity, the tests involved)
  and only marks whole copies `is_duplicate`;
- `create_organization_plan` returns a `{source: destination}` mapping of moved files and keeps
  the full `OrganizationPlan` (reasons, rewrites, conflicts) in `.plan`;
- `execute_reorganization` is a dry run unless `apply=True`, never deletes or overwrites,
  checks collection before and after, rolls back by itself, and can be undone (`undo`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from testing_lib.organizer.audit import Audit, run_audit
from testing_lib.organizer.execute import execute_plan
from testing_lib.organizer.models import (
    CATEGORIES,
    AuditReport,
    DuplicatePair,
    ExecutionResult,
    OrganizationPlan,
    OrganizeReport,
    TestFileInfo,
    UndoResult,
)
from testing_lib.organizer.plan import create_plan, plan_from_mapping
from testing_lib.organizer.plan_groups import group_plan
from testing_lib.organizer.rollback import undo


class TestFileOrganizer:
    """Audit, plan and (safely) reorganize the test files of one project."""

    __test__ = False

    def __init__(self, test_root: Path | str, *, python: str | None = None) -> None:
        self.test_root = Path(test_root).resolve()
        self.python = python or sys.executable
        self.file_info: dict[str, TestFileInfo] = {}
        self.plan: OrganizationPlan | None = None
        self._audit: Audit | None = None

    # -- the public interface ------------------------------------------------------------------

    def audit_test_files(self) -> dict[str, list[TestFileInfo]]:
        """Audit every test module, conftest and helper; files by category."""
        audit = self._run_audit()
        categorized: dict[str, list[TestFileInfo]] = {c: [] for c in CATEGORIES}
        for info in audit.report.files:
            categorized[info.category].append(info)
        return categorized

    def identify_duplicates(self) -> list[DuplicatePair]:
        """Exact and near-duplicate tests, folded into file pairs."""
        return list(self._current_audit().report.duplicates)

    def create_organization_plan(
        self, *, only: Sequence[str] = (), max_moves: int | None = None
    ) -> dict[str, str]:
        """Plan the layout; the mapping of moved files (full plan in `self.plan`).

        `only` (paths relative to the root) and `max_moves` plan one slice of it.
        """
        self.plan = create_plan(self._current_audit(), only=only, max_moves=max_moves)
        return self.plan.mapping()

    def execute_reorganization(
        self,
        plan: OrganizationPlan | Mapping[str, str] | None = None,
        *,
        apply: bool = False,
    ) -> ExecutionResult:
        """Dry-run (default) or apply a plan: this organizer's, or a `{source: dest}` mapping.

        Applied plans are checked with `pytest --collect-only` before and after and rolled
        back by themselves if a test would be lost or a collection error appear.
        """
        if plan is None:
            if self.plan is None:
                self.create_organization_plan()
            assert self.plan is not None
            chosen = self.plan
        elif isinstance(plan, OrganizationPlan):
            chosen = plan
        else:
            chosen = plan_from_mapping(self._current_audit(), dict(plan))
        result = execute_plan(chosen, apply=apply, python=self.python)
        if result.applied:
            self._audit = None  # the tree changed
            self.plan = None
        return result

    # -- additions ----------------------------------------------------------------------------

    def undo(self) -> UndoResult:
        """Undo the latest applied reorganization, byte for byte."""
        self._audit = None
        self.plan = None
        return undo(self.test_root)

    @property
    def report(self) -> AuditReport:
        return self._current_audit().report

    def organize_report(
        self,
        result: ExecutionResult | None = None,
        *,
        report: AuditReport | None = None,
        plan: OrganizationPlan | None = None,
    ) -> OrganizeReport:
        """Everything in one document (the CLI's JSON).

        After an apply, pass the audit `report` and `plan` it was made from: the tree they
        describe is the one before the change.
        """
        if report is None:
            report = self._current_audit().report
        if plan is None:
            plan = self.plan or create_plan(self._current_audit())
        document = OrganizeReport(
            root=str(self.test_root),
            files=report.files,
            duplicates=report.duplicates,
            problems=report.problems,
            plan=plan.entries,
            groups=group_plan(plan.entries),
            conflicts=plan.conflicts,
        )
        if result is not None and result.applied:
            document = document.model_copy(
                update={
                    "applied": True,
                    "collected_before": result.collected_before,
                    "collected_after": result.collected_after,
                    "errors_before": result.errors_before,
                    "errors_after": result.errors_after,
                    "rolled_back": result.rolled_back,
                    "lost_tests": result.lost_tests,
                    "broken_tests": result.broken_tests,
                    "new_errors": result.new_errors,
                    "journal": result.journal,
                }
            )
        return document

    def _run_audit(self) -> Audit:
        self._audit = run_audit(self.test_root, python=self.python)
        self.file_info = {info.path: info for info in self._audit.report.files}
        return self._audit

    def _current_audit(self) -> Audit:
        return self._audit if self._audit is not None else self._run_audit()
