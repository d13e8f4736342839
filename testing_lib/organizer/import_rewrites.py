"""Imports that follow moved modules: how each one names the same file from the new place.

Every import of a moved module (and every import in a moved file) must still name the
same file from the new place: relative when both ends share a package, by its pytest
name when its folder is on the importer's path, from the root when the root is importable
(`pythonpath`, a root conftest, or the suite already imports that way). Imports no form
can keep are reported, for the planner to keep a file where it is. Relative imports
outside packages (a collection error today) are rewritten to an absolute form even for
files that do not move.
"""

from __future__ import annotations

from collections import defaultdict

from testing_lib.organizer.analysis import ImportRef
from testing_lib.organizer.modules import Edge, ModuleIndex, is_under
from testing_lib.organizer.planned_tree import PlannedTree
from testing_lib.organizer.rewrite import FileChanges, ModuleRef


def _written(edge: Edge) -> str:
    ref: ImportRef = edge.ref
    module = ref.module
    if edge.name is not None:
        module = f"{module}.{edge.name}" if module else edge.name
    return "." * ref.level + module


def _reference(
    tree: PlannedTree,
    edge: Edge,
    importer: str,
    target: str,
    index: ModuleIndex,
) -> ModuleRef | None:
    """How `importer` (new path) can name `target` (new path), or None."""
    if edge.style == "relative" and edge.ref.is_from:
        importer_package = index.package_of(importer)
        if (
            importer_package is not None
            and index.in_package(target)
            and index.basedir(importer) == index.basedir(target)
        ):
            own = importer_package.split(".") if importer_package else []
            wanted = index.module_name(target).split(".")
            common = 0
            while common < min(len(own), len(wanted)) and own[common] == wanted[common]:
                common += 1
            level = len(own) - common + 1
            return ModuleRef(level, ".".join(wanted[common:]))
    bases = index.search_path(importer)
    candidates = [index.module_name(target)]
    if tree.root_importable or edge.style == "root":
        candidates.append(target.removesuffix(".py").removesuffix("/__init__").replace("/", "."))
    for base, _ in bases:
        if is_under(target, base):
            relative = target[len(base) + 1 :] if base else target
            candidates.append(
                relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            )
    written = _written(edge).split(".")[0]  # keep the form the import was written in
    candidates.sort(key=lambda c: c.split(".")[0] != written)
    for candidate in candidates:
        found = index.find(candidate, bases)
        if found is not None and found.path == target:
            return ModuleRef(0, candidate)
    return None


def import_changes(
    tree: PlannedTree,
    placement: dict[str, str],
    index: ModuleIndex,
    *,
    fix_relative: bool = True,
) -> tuple[dict[str, FileChanges], list[tuple[str, str, str]]]:
    """Import changes per file, and (file to pin, reason, importer) for impossible ones."""
    audit = tree.audit
    changes: dict[str, FileChanges] = defaultdict(FileChanges)
    impossible: list[tuple[str, str, str]] = []
    for importer, edges in audit.edges.items():
        new_importer = placement.get(importer, importer)
        for edge in edges:
            new_target = placement.get(edge.target, edge.target)
            broken_relative = (
                fix_relative and edge.ref.level > 0 and audit.index.package_of(importer) is None
            )
            if new_importer == importer and new_target == edge.target and not broken_relative:
                continue
            reference = _reference(tree, edge, new_importer, new_target, index)
            if reference is None or (not edge.ref.is_from and reference.level):
                moved = edge.target if new_target != edge.target else importer
                impossible.append(
                    (
                        moved,
                        f"{importer} (line {edge.ref.line}) could not import it from "
                        f"{new_importer} any more",
                        importer,
                    )
                )
                continue
            key = (edge.ref.line, edge.ref.level, edge.ref.module, edge.name)
            old_full = _written(edge)
            if reference.text() != old_full:
                changes[importer].imports[key] = reference
    return changes, impossible


def shadowed_imports(
    tree: PlannedTree, placement: dict[str, str], index: ModuleIndex
) -> list[tuple[str, str]]:
    """Moved files that would capture an import meant for something else, and why."""
    audit = tree.audit
    found = []
    moved_targets = {d: s for s, d in placement.items() if s != d}
    for importer, analysis in audit.analyses.items():
        new_importer = placement.get(importer, importer)
        for ref in analysis.imports:
            if ref.level:
                continue
            names = (
                [ref.module]
                if not ref.is_from
                else [ref.module] + [f"{ref.module}.{n}" for n in ref.names if n != "*"]
            )
            for name in names:
                if not name:
                    continue
                after = index.find(name, index.search_path(new_importer))
                if after is None or after.path is None or after.path not in moved_targets:
                    continue
                source = moved_targets[after.path]
                before = audit.index.find(name, audit.index.search_path(importer))
                if before is None or before.path != source:
                    found.append(
                        (source, f"at {after.path} it would capture '{name}' in {importer}")
                    )
    return found
