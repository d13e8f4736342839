"""Codemods for old test code (libcst): dry-run diffs, journaled atomic apply, undo.

The names below are imported on first use (see `testing_lib.lazy_exports`): undoing a
run reads its journal without loading libcst."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from testing_lib.codemods.codemod_journal import (
        ApplyReport,
        JournalError,
        UndoReport,
        apply_plan,
        load_journal,
        undo_run,
    )
    from testing_lib.codemods.codemod_plan import (
        CodemodPlan,
        FilePlan,
        Unparseable,
        plan_http_clients,
    )
    from testing_lib.codemods.http_clients import (
        HttpClientAppCommand,
        Rewrite,
        RewriteResult,
        Skipped,
        rewrite_http_clients,
    )

__getattr__ = lazy_getattr(
    __name__,
    {
        "ApplyReport": "codemod_journal",
        "JournalError": "codemod_journal",
        "UndoReport": "codemod_journal",
        "apply_plan": "codemod_journal",
        "load_journal": "codemod_journal",
        "undo_run": "codemod_journal",
        "CodemodPlan": "codemod_plan",
        "FilePlan": "codemod_plan",
        "Unparseable": "codemod_plan",
        "plan_http_clients": "codemod_plan",
        "HttpClientAppCommand": "http_clients",
        "Rewrite": "http_clients",
        "RewriteResult": "http_clients",
        "Skipped": "http_clients",
        "rewrite_http_clients": "http_clients",
    },
)

__all__ = [
    "ApplyReport",
    "CodemodPlan",
    "FilePlan",
    "HttpClientAppCommand",
    "JournalError",
    "Rewrite",
    "RewriteResult",
    "Skipped",
    "UndoReport",
    "Unparseable",
    "apply_plan",
    "load_journal",
    "plan_http_clients",
    "rewrite_http_clients",
    "undo_run",
]
