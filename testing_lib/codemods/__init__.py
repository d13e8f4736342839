"""Codemods for old test code (libcst): dry-run diffs, journaled atomic apply, undo."""

from testing_lib.codemods.codemod_journal import (
    ApplyReport,
    JournalError,
    UndoReport,
    apply_plan,
    load_journal,
    undo_run,
)
from testing_lib.codemods.codemod_plan import CodemodPlan, FilePlan, Unparseable, plan_http_clients
from testing_lib.codemods.http_clients import (
    HttpClientAppCommand,
    Rewrite,
    RewriteResult,
    Skipped,
    rewrite_http_clients,
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
