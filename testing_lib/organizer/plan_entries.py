"""The plan's entries: per file, where it goes, the action, the reason, and its rewrites.

Import changes are applied to each file's source here (nothing is written), together
with the strings naming a moved module (`mock.patch("tests.helpers.now")`,
`pytest_plugins`); a file whose imports cannot be rewritten is reported instead.
"""

from __future__ import annotations

from testing_lib.organizer.analysis import FileAnalysis
from testing_lib.organizer.destinations import Intent
from testing_lib.organizer.models import ImportRewrite, PlanAction, PlanEntry
from testing_lib.organizer.planned_tree import PlannedTree
from testing_lib.organizer.rewrite import FileChanges, RewriteError, rewrite_source


def _mentions(analysis: FileAnalysis, strings: dict[str, str]) -> bool:
    for _, value in analysis.strings:
        for old in strings:
            if value == old or value.startswith(old + "."):
                return True
    return False


def _string_map(tree: PlannedTree, placement: dict[str, str]) -> dict[str, str]:
    strings: dict[str, str] = {}
    old_index = tree.audit.index
    for source, destination in placement.items():
        if source == destination or not source.endswith(".py"):
            continue
        old = source.removesuffix(".py").replace("/", ".")
        new = destination.removesuffix(".py").replace("/", ".")
        if "." in old:
            strings[old] = new
        pytest_name = old_index.module_name(source)
        if "." in pytest_name and pytest_name != old:
            strings[pytest_name] = old_index.dotted_under(old_index.basedir(source), destination)
    return strings


def plan_entries(
    tree: PlannedTree,
    placement: dict[str, str],
    file_changes: dict[str, FileChanges],
    *,
    intents: dict[str, Intent],
    pinned: dict[str, str],
    notes: dict[str, list[str]],
) -> tuple[list[PlanEntry], dict[str, str]]:
    """An entry per placed file, and (file -> reason) for files whose rewrite failed."""
    audit = tree.audit
    infos = {f.path: f for f in audit.report.files}
    strings = _string_map(tree, placement)
    entries = []
    failed: dict[str, str] = {}
    for path in sorted(placement):
        info = infos[path]
        analysis = audit.analyses[path]
        changes = file_changes.get(path) or FileChanges()
        if strings and _mentions(analysis, strings):
            changes.strings = strings
        rewrites: list[ImportRewrite] = []
        if changes:
            try:
                _, rewrites = rewrite_source((tree.root / path).read_bytes(), changes)
            except RewriteError as exc:
                failed[path] = f"its imports cannot be rewritten ({exc})"
                continue
        destination = placement[path]
        intent = intents[path]
        if path in pinned:
            action: PlanAction = "rewrite" if rewrites else "keep"
            reason = pinned[path]
        elif destination == path:
            action = "rewrite" if rewrites else "keep"
            reason = intent.reason or "already in place"
            if rewrites and not intent.reason:
                reason = "stays; its imports follow the modules that move"
        else:
            action = intent.action if intent.action != "keep" else "move"
            reason = intent.reason or "renamed to resolve a clash"
            if destination != intent.destination:
                reason += f" (renamed: {intent.destination} was taken)"
        if any(r.before.startswith("from .") for r in rewrites) and (
            audit.index.package_of(path) is None
        ):
            reason += "; fixes a relative import outside a package"
        if notes.get(path):
            reason += "; " + "; ".join(notes[path])
        entries.append(
            PlanEntry(
                source=path,
                destination=destination,
                action=action,
                reason=reason,
                sha256=info.sha256,
                rewrites=rewrites,
                import_changes=changes.to_models() if rewrites else [],
                string_changes=dict(changes.strings) if rewrites else {},
            )
        )
    return entries, failed
