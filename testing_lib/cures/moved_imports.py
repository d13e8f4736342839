"""Imports of the project's own module that a reorganization moved: point them at it.

When `No module named 'x.y'` names a module of the project that now lives elsewhere, and
exactly one module of the project ends with the dotted path the import asked for (or holds
the missing sibling), each failing module's import statements of the old path are
rewritten to the new one with the organizer's import rewriting (libcst: formatting and
comments kept; `import a.b` usages follow). An import path changes no test's meaning: safe.
Several candidates, or none, is said as such: a person picks.
"""

from __future__ import annotations

import ast

from testing_lib.cures.context import CureContext, Proposal, module_path
from testing_lib.cures.cure_models import Candidate, Change, FailureGroup, NoCure
from testing_lib.organizer.rewrite import FileChanges, ModuleRef, RewriteError, rewrite_source
from testing_lib.triage.project_modules import dotted, locate

KIND = "moved-import"


def importable_name(path: str) -> str:
    """`tests/utils/money.py` → `tests.utils.money` (a `src/` layout's `src/` left out)."""
    parts = dotted(path)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_changes(source: str, old: str, new: str) -> FileChanges:
    """The statements of `source` that import `old` (or a module below it), re-pointed."""
    changes = FileChanges()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == old or alias.name.startswith(f"{old}."):
                    target = new + alias.name[len(old) :]
                    changes.imports[(node.lineno, 0, alias.name, None)] = ModuleRef(0, target)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = node.module
            if module == old or module.startswith(f"{old}."):
                target = new + module[len(old) :]
                changes.imports[(node.lineno, 0, module, None)] = ModuleRef(0, target)
            elif old.startswith(f"{module}."):
                rest = old[len(module) + 1 :]
                for alias in node.names:
                    if alias.name == rest:
                        changes.imports[(node.lineno, 0, module, alias.name)] = ModuleRef(0, new)
    return changes


def asked_for(source: str, missing: str) -> list[str]:
    """The dotted modules `source`'s absolute imports ask for that start with `missing`,
    the longest first (`from a.b import c` asks for `a.b.c`, maybe a module, and `a.b`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    wanted = [n for n in names if n == missing or n.startswith(f"{missing}.")]
    return sorted(wanted, key=lambda name: (-name.count("."), name))


def propose(group: FailureGroup, context: CureContext) -> Proposal:
    """Re-pointed imports for a `missing_module` group whose module moved in the project."""
    missing = group.key
    if not missing:
        return None
    modules = context.facts.modules
    changes: dict[str, Change] = {}
    moves: set[tuple[str, str]] = set()
    for node in group.members:
        module = module_path(context, node)
        if module is None or module in changes:
            continue
        text = context.text(module)
        if text is None:
            return None
        try:
            asked = asked_for(text, missing)
        except SyntaxError:
            return None
        location = locate(modules, missing, asked)
        if location is None or location.how != "moved":
            return None  # a package to install, or a module that is gone: the advice says
        name, paths = location.name, location.paths
        if len(paths) != 1:
            return NoCure(
                f"`{name}` moved, but {len(paths)} modules of the project could be it "
                f"({', '.join(paths[:3])}): update the import to the one meant"
            )
        new = importable_name(paths[0])
        try:
            planned = import_changes(text, name, new)
            after, _ = rewrite_source(text.encode("utf-8"), planned)
        except (SyntaxError, RewriteError):
            return None
        if after == text.encode("utf-8"):
            return None
        changes[module] = context.edit(module, after.decode("utf-8"))
        moves.add((name, new))
    if not changes:
        return None
    moved = ", ".join(f"`{old}` → `{new}`" for old, new in sorted(moves))
    return Candidate(
        KIND, f"point the imports at the moved module: {moved}", True, tuple(changes.values())
    )
