"""Name clashes between destinations, resolved deterministically and reported.

A destination clashes when it exists on disk, is wanted twice, or would give two test
modules one module name (no `__init__.py`). Files that stay keep their name, then sources
take theirs in path order; the others get the area in their name
(`test_services_helpers.py`), then a number. The organizer never overwrites a file.
"""

from __future__ import annotations

from testing_lib.organizer.models import PlanConflict
from testing_lib.organizer.modules import ModuleIndex, join
from testing_lib.organizer.planned_tree import PlannedTree
from testing_lib.organizer.pytest_settings import matches_python_files


def _is_test_module(tree: PlannedTree, path: str, destination: str) -> bool:
    return tree.audit.kinds.get(path) == "test" and matches_python_files(
        destination, tree.settings.python_files
    )


def _candidates(tree: PlannedTree, path: str, wanted: str) -> list[str]:
    folder, _, name = wanted.rpartition("/")
    stem = name.removesuffix(".py")
    area = folder.rpartition("/")[2]
    options = [wanted]
    if tree.audit.kinds.get(path) == "test" and area and area not in stem:
        if stem.startswith("test_"):
            options.append(join(folder, f"test_{area}_{stem[5:]}.py"))
        elif stem.endswith("_test"):
            options.append(join(folder, f"{stem[:-5]}_{area}_test.py"))
    for number in range(2, 100):
        if stem.endswith("_test"):
            options.append(join(folder, f"{stem[:-5]}_{number}_test.py"))
        else:
            options.append(join(folder, f"{stem}_{number}.py"))
    return options


def resolve_clashes(
    tree: PlannedTree, placement: dict[str, str], pinned: dict[str, str]
) -> tuple[dict[str, str], list[PlanConflict]]:
    """`placement` with every clash resolved, and the resolutions to report.

    A file with no free name stays where it is and is recorded in `pinned`.
    """
    _, inits = tree.new_packages(placement)
    index = tree.index_for(placement, inits)
    staying = sorted(p for p, d in placement.items() if p == d)
    moving = sorted(p for p, d in placement.items() if p != d)
    static = {p for p in tree.audit.index.files if p not in placement}
    taken_paths: set[str] = set(static) | set(inits)
    taken_names: dict[str, str] = {}
    resolved: dict[str, str] = {}
    conflicts: list[PlanConflict] = []
    for path in [*staying, *moving]:
        wanted = placement[path]
        chosen = None
        for candidate in _candidates(tree, path, wanted):
            if candidate in taken_paths:
                continue
            if candidate != path and (tree.root / candidate).exists():
                continue  # never overwrite anything on disk
            if _is_test_module(tree, path, candidate):
                name = index.module_name(candidate)
                if name in taken_names:
                    continue
            chosen = candidate
            break
        if chosen is None:
            chosen = path
            pinned.setdefault(path, f"no free name for {wanted}")
        resolved[path] = chosen
        taken_paths.add(chosen)
        if _is_test_module(tree, path, chosen):
            taken_names[index.module_name(chosen)] = chosen
        if chosen != wanted:
            conflicts.append(_conflict(tree, path, wanted, chosen, resolved, index))
    return resolved, conflicts


def _conflict(
    tree: PlannedTree,
    path: str,
    wanted: str,
    chosen: str,
    resolved: dict[str, str],
    index: ModuleIndex,
) -> PlanConflict:
    holder = next((p for p, d in resolved.items() if d == wanted and p != path), None)
    module = index.module_name(wanted)
    if holder is None:
        holder = next(
            (
                p
                for p, d in resolved.items()
                if p != path and _is_test_module(tree, p, d) and index.module_name(d) == module
            ),
            None,
        )
    if holder is not None:
        why = f"{wanted} is taken by {holder} (same path or module name '{module}')"
    else:
        why = f"{wanted} exists"
    return PlanConflict(
        destination=wanted,
        sources=sorted({path, *([holder] if holder else [])}),
        resolution=f"{path} becomes {chosen}: {why}; the organizer never overwrites",
    )
