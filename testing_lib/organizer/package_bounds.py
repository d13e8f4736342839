"""Packages move whole or not at all: `__init__.py` files that re-export or run code.

A package's `__init__.py` that imports modules of the tree (`from .project_fixtures import
*`) or runs code at import binds the package together: moving one of its modules out
leaves the `__init__.py` importing a module that is gone, or a module that no longer runs
its package's set-up. The organizer does not move `__init__.py` files, so:

- a module inside such a package stays inside it (it may move to a subfolder of it);
- a module that any `__init__.py` imports stays where it is.

`package_inits` reads the `__init__.py` files (parsing only, never importing);
`bound_pins` lists the files a placement would have to pin, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from testing_lib.organizer.analysis import analyze_source
from testing_lib.organizer.models import PytestSettings
from testing_lib.organizer.modules import ModuleIndex, is_under, parent


@dataclass(frozen=True)
class PackageInit:
    """A package whose `__init__.py` does more than exist."""

    folder: str
    reason: str  # "re-exports tests/x/a.py", "runs code at import (line 3)"
    imports: tuple[str, ...]  # files of the tree it imports


def package_inits(
    root: Path, python_files: Iterable[str], index: ModuleIndex, settings: PytestSettings
) -> dict[str, PackageInit]:
    """Package folder -> its `__init__.py`, for those that import tree modules or run code."""
    found: dict[str, PackageInit] = {}
    for path in python_files:
        if path.rpartition("/")[2] != "__init__.py":
            continue
        try:
            source = (root / path).read_bytes()
        except OSError:
            continue
        if not source.strip():
            continue
        analysis = analyze_source(
            path,
            source,
            function_patterns=tuple(settings.python_functions),
            class_patterns=tuple(settings.python_classes),
        )
        targets = sorted(
            {
                edge.target
                for ref in analysis.imports
                if ref.top_level and ref.module != "__future__"
                for edge in index.edges(path, ref)
                if edge.target != path
            }
        )
        if targets:
            shown = ", ".join(targets[:3]) + (" ..." if len(targets) > 3 else "")
            reason = f"re-exports {shown}"
        elif analysis.top_level_code:
            reason = f"runs code at import (line {analysis.top_level_code[0]})"
        else:
            continue
        folder = parent(path)
        found[folder] = PackageInit(folder, reason, tuple(targets))
    return found


def bound_pins(
    inits: dict[str, PackageInit], index: ModuleIndex, placement: dict[str, str]
) -> list[tuple[str, str]]:
    """(file, reason) for each move that would split a package from its `__init__.py`."""
    imported_by: dict[str, str] = {}
    for package in inits.values():
        for target in package.imports:
            imported_by.setdefault(target, package.folder)
    pins = []
    for path, destination in sorted(placement.items()):
        if path == destination:
            continue
        if path in imported_by:
            folder = imported_by[path]
            pins.append(
                (
                    path,
                    f"{folder + '/' if folder else ''}__init__.py imports it: the package "
                    "moves whole or not at all",
                )
            )
            continue
        folder = parent(path)
        while folder and index.is_package(folder):
            init = inits.get(folder)
            if init is not None and not is_under(destination, folder):
                pins.append(
                    (
                        path,
                        f"its package {folder}/ has an __init__.py that {init.reason}: "
                        "the package moves whole or not at all",
                    )
                )
                break
            folder = parent(folder)
    return pins
