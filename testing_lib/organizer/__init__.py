"""Audit a test suite, find duplicates and problems, and reorganize it without losing a test.

    organizer = TestFileOrganizer(project_root, python=".venv/bin/python")
    by_category = organizer.audit_test_files()
    pairs = organizer.identify_duplicates()
    mapping = organizer.create_organization_plan()        # full plan: organizer.plan
    organizer.execute_reorganization()                    # dry run
    result = organizer.execute_reorganization(apply=True) # checked, rolled back if needed
    organizer.undo()                                      # byte for byte

Names are imported on first use, so the pytest plugin can offer the `test_file_organizer`
fixture without loading libcst into every test run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testing_lib.organizer.audit import run_audit
    from testing_lib.organizer.execute import execute_plan
    from testing_lib.organizer.models import (
        AuditReport,
        DuplicatePair,
        Evidence,
        ExecutionResult,
        OrganizationPlan,
        OrganizeReport,
        PlanConflict,
        PlanEntry,
        Problem,
        ProblemKind,
        TestFileInfo,
        UndoResult,
    )
    from testing_lib.organizer.organizer import TestFileOrganizer
    from testing_lib.organizer.organizer_errors import OrganizerError
    from testing_lib.organizer.plan import create_plan, plan_from_mapping
    from testing_lib.organizer.rollback import undo

_MODULES = {
    "run_audit": "audit",
    "OrganizerError": "organizer_errors",
    "execute_plan": "execute",
    "undo": "rollback",
    "TestFileOrganizer": "organizer",
    "create_plan": "plan",
    "plan_from_mapping": "plan",
    **dict.fromkeys(
        (
            "AuditReport",
            "DuplicatePair",
            "Evidence",
            "ExecutionResult",
            "OrganizationPlan",
            "OrganizeReport",
            "PlanConflict",
            "PlanEntry",
            "Problem",
            "ProblemKind",
            "TestFileInfo",
            "UndoResult",
        ),
        "models",
    ),
}

__all__ = [
    "AuditReport",
    "DuplicatePair",
    "Evidence",
    "ExecutionResult",
    "OrganizationPlan",
    "OrganizeReport",
    "OrganizerError",
    "PlanConflict",
    "PlanEntry",
    "Problem",
    "ProblemKind",
    "TestFileInfo",
    "TestFileOrganizer",
    "UndoResult",
    "create_plan",
    "execute_plan",
    "plan_from_mapping",
    "run_audit",
    "undo",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
