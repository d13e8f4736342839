"""A third-party package the environment lacks: skip the module until it is installed.

`pytest.importorskip("pkg")` right before the module's first import of the missing package
turns the collection error into a skipped module, with pytest's reason naming the package.
That changes what runs (the module's tests are skipped, not run), so the cure is unsafe:
it is shown, proven, and written only when asked for by name (`--only skip-missing`);
installing the package (the advice says where it is declared, or where to declare it) is
the real cure.
"""

from __future__ import annotations

import ast

from testing_lib.cures.context import CureContext, Proposal, module_path
from testing_lib.cures.cure_models import Candidate, Change, FailureGroup
from testing_lib.triage.project_modules import is_own_package, locate

KIND = "skip-missing"


def _first_import_line(tree: ast.Module, package: str) -> ast.stmt | None:
    for node in tree.body:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        if any(name == package or name.startswith(f"{package}.") for name in names):
            return node
    return None


def with_skip(source: str, package: str) -> str | None:
    """`source` with `pytest.importorskip(package)` before its first top-level import of it
    (and `import pytest` when it has none); None when no top-level statement imports it."""
    tree = ast.parse(source)
    statement = _first_import_line(tree, package)
    if statement is None:
        return None
    has_pytest = any(
        isinstance(node, ast.Import)
        and any(a.name == "pytest" and not a.asname for a in node.names)
        for node in tree.body
        if node.lineno < statement.lineno
    )
    lines = source.splitlines(keepends=True)
    indent = lines[statement.lineno - 1][: statement.col_offset]
    added = "" if has_pytest else f"{indent}import pytest\n"
    added += f'{indent}pytest.importorskip("{package}")  # not installed: skipped until it is\n'
    index = statement.lineno - 1
    return "".join([*lines[:index], added, *lines[index:]])


def propose(group: FailureGroup, context: CureContext) -> Proposal:
    """Skip each failing module until the missing third-party package is installed."""
    missing = group.key
    if not missing or "." in missing:
        return None  # a submodule missing from an installed package: a version to pin
    modules = context.facts.modules
    if is_own_package(modules, missing) or locate(modules, missing, []) is not None:
        return None  # the project's own module
    changes: dict[str, Change] = {}
    for node in group.collection_errors:
        module = module_path(context, node)
        text = context.text(module) if module else None
        if module is None or text is None or module in changes:
            continue
        try:
            after = with_skip(text, missing)
        except SyntaxError:
            continue
        if after is not None:
            changes[module] = context.edit(module, after)
    if not changes:
        return None
    return Candidate(
        KIND,
        f"skip {len(changes)} module(s) until `{missing}` is installed "
        "(`pytest.importorskip`); installing it is the real cure",
        False,
        tuple(changes.values()),
    )
