"""`__init__.py` files that make test folders packages: two cures share them.

- Two test modules with one basename in folders that are not packages are both imported
  as that basename ("import file mismatch"): each folder becomes a package, up to the first
  folder that already is one (or the project root's child), so each module gets its
  package's name. Not where the new top-level package would shadow a module of the
  standard library or another of the project's top-level modules.
- A relative import in a folder that is no package ("attempted relative import with no
  known parent package"): the folders it climbs become packages.
Both are safe (a package marker changes no test's meaning); the proof still decides, since
a folder that becomes a package leaves `sys.path`, and a sibling import from it may break.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import PurePosixPath

from testing_lib.cures.context import CureContext, Proposal, module_path
from testing_lib.cures.cure_models import Candidate, Change, FailureGroup, NoCure

KIND = "package-markers"
_MISMATCH = re.compile(
    r"has this __file__ attribute:\s*\n\s*(?P<first>\S.*?)\s*\n.*?"
    r"we want to collect:\s*\n\s*(?P<second>\S.*?)\s*$",
    re.MULTILINE | re.DOTALL,
)


def _chain(context: CureContext, module: str, levels: int | None) -> list[str] | None:
    """The `__init__.py` files (target-relative) that make `module`'s folder a package:
    `levels` folders up (None: up to the first folder that is a package already, or the
    root's child). None: the chain would need the root itself to be a package."""
    markers: list[str] = []
    folder = PurePosixPath(module).parent
    climbed = 0
    while levels is None or climbed < levels:
        if str(folder) in ("", "."):
            return None if levels is not None else markers
        marker = f"{folder}/__init__.py"
        if context.workspace.exists(marker):
            if levels is None:
                break
        else:
            markers.append(marker)
        climbed += 1
        folder = folder.parent
    return markers


def _top_package(markers: list[str], context: CureContext) -> str | None:
    """The top-level package the markers create (None: they extend existing packages)."""
    if not markers:
        return None
    top = PurePosixPath(markers[-1]).parent
    if context.workspace.exists(f"{top.parent}/__init__.py") and str(top.parent) != ".":
        return None
    return top.name


def _shadowing(name: str, context: CureContext, own: str) -> str | None:
    if name in sys.stdlib_module_names:
        return f"the standard library's `{name}`"
    for module in context.facts.modules:
        first = module.split("/", 1)[0]
        stem = first[:-3] if first.endswith(".py") else first
        if stem == name and not own.startswith(f"{name}/"):
            return f"the project's own `{module}`"
    return None


def _candidate(context: CureContext, markers: list[str], summary: str) -> Proposal:
    changes = tuple(Change(m, b"", b"", created=True) for m in sorted(set(markers)))
    if not changes:
        return None
    return Candidate(KIND, summary, True, changes)


def clashing_files(group: FailureGroup, context: CureContext) -> list[str]:
    """The target-relative modules of the group's import file mismatches (both of each)."""
    root = str(context.workspace.copy) + "/"
    files = []
    for node, message in group.messages.items():
        found = _MISMATCH.search(message)
        paths = [found["first"], found["second"]] if found else []
        for path in paths:
            relative = path[len(root) :] if path.startswith(root) else None
            if relative is None:
                relative = module_path(context, node) if path.endswith(node) else None
            if relative is None:
                return []
            files.append(relative)
    return sorted(set(files))


def propose_for_clash(group: FailureGroup, context: CureContext) -> Proposal:
    files = clashing_files(group, context)
    if len(files) < 2:
        return None
    markers: list[str] = []
    for module in files:
        chain = _chain(context, module, None) or []
        top = _top_package(chain, context)
        shadowed = _shadowing(top, context, module) if top else None
        if shadowed:
            return NoCure(
                f"making `{PurePosixPath(module).parent}` a package would make `{top}` a "
                f"top-level package that shadows {shadowed}: rename one of "
                f"{', '.join(files)} to a unique basename"
            )
        markers += chain
    if not markers:
        return None
    return _candidate(
        context,
        markers,
        f"make the test folders of {', '.join(files)} packages ({len(set(markers))} "
        "`__init__.py`), so each module gets its package's name",
    )


def _relative_levels(source: str) -> int:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 0
    return max(
        (node.level for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)), default=0
    )


def propose_for_relative(group: FailureGroup, context: CureContext) -> Proposal:
    markers: list[str] = []
    for node in group.collection_errors or group.tests:
        module = module_path(context, node)
        text = context.text(module) if module else None
        if module is None or text is None:
            return None
        levels = _relative_levels(text)
        chain = _chain(context, module, levels) if levels else None
        if chain is None:
            return NoCure(
                f"{module} imports {levels} level(s) up, above the project: make the import "
                "absolute"
            )
        markers += chain
    return _candidate(
        context,
        markers,
        f"make the folders the relative imports climb packages ({len(set(markers))} `__init__.py`)",
    )
