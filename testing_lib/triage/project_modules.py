"""The project's own modules, and where a module an import cannot find went.

`project_modules(root)` lists the project's Python modules once (`a/b.py` files and the
folders above them, `a/b/`), leaving out virtual environments, caches and build output.
`locate(modules, missing, imported)` is pure: given the name Python could not import
(``No module named 'tests.test_auth_endpoints'``) and the import statements that asked
for it, it finds the project's modules that name now points to, if any.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

MAX_FILES = 50_000  # a larger tree is indexed up to this many modules (and says so)
_SKIPPED = {"__pycache__", "node_modules", "site-packages", "build", "dist"}
# a source line of a traceback that imports: "    from a.b import c, d", ">   import a.b as x"
_IMPORT_LINE = re.compile(
    r"^[> \t]*(?:from[ \t]+(?P<source>[\w.]+)[ \t]+import[ \t]+\(?(?P<names>[\w \t,]*)"
    r"|import[ \t]+(?P<modules>[\w. \t,]+))",
    re.MULTILINE,
)

Located = Literal["moved", "not_importable", "gone"]


@dataclass(frozen=True)
class Location:
    """Where the project's own module went: `moved` to `paths`; `not_importable` though at
    `paths`, where its name says; `gone`: its package is the project's, the module is nowhere."""

    how: Located
    name: str  # the dotted name looked for: the missing one, or the longer one imported
    paths: tuple[str, ...] = ()


def _indexed(parent: str, name: str) -> bool:
    """Whether the folder `name` of `parent` may hold project modules (not a virtualenv,
    cache, build output or hidden folder)."""
    if name.startswith(".") or name in _SKIPPED or name.endswith(".egg-info"):
        return False
    return not os.path.exists(os.path.join(parent, name, "pyvenv.cfg"))


def _first_words(listed: str) -> list[str]:
    """`a as b, c` → `[a, c]`."""
    return [item.split()[0] for item in listed.split(",") if item.split()]


def project_modules(root: Path) -> tuple[str, ...]:
    """Relative paths of the project's modules: `a/b.py` (not `__init__.py`) and `a/b/`."""
    files: list[str] = []
    folders: set[str] = set()
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(name for name in dirs if _indexed(directory, name))
        relative = Path(directory).relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        python = [name for name in sorted(names) if name.endswith(".py")]
        if python and prefix:
            parts = prefix.rstrip("/").split("/")
            folders.update("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
        files += (f"{prefix}{name}" for name in python if name != "__init__.py")
        if len(files) > MAX_FILES:
            logger.warning("%s: more than %d modules; indexed the first ones", root, MAX_FILES)
            break
    return tuple(sorted([*files, *folders]))


def dotted(path: str) -> tuple[str, ...]:
    """`a/b/c.py` and `a/b/c/` as the parts of `a.b.c`."""
    return tuple(path.removesuffix("/").removesuffix(".py").split("/"))


def imported_names(traceback: str, missing: str) -> list[str]:
    """The dotted names the traceback's import statements ask for that start with `missing`,
    the deepest frame's first: `from a.b import c` gives `a.b.c` and `a.b`."""
    found: list[str] = []
    for line in _IMPORT_LINE.finditer(traceback):
        names: list[str] = []
        if line["source"]:
            listed = _first_words(line["names"] or "")
            names = [f"{line['source']}.{name}" for name in listed] + [line["source"]]
        elif line["modules"]:
            names = _first_words(line["modules"])
        found = [
            name for name in names if name == missing or name.startswith(f"{missing}.")
        ] + found
    return list(dict.fromkeys(found))


def _ending_with(modules: tuple[str, ...], tail: tuple[str, ...]) -> list[str]:
    return [path for path in modules if dotted(path)[-len(tail) :] == tail]


def _spelled_within(modules: tuple[str, ...], wanted: tuple[str, ...]) -> list[str]:
    """Modules named like `wanted`'s last part, whose path spells its other parts in order
    (each inside one folder name: `testing.framework.x` → `tests/testing_framework/x.py`)."""
    found = []
    for path in modules:
        parts = dotted(path)
        if parts[-1] != wanted[-1]:
            continue
        position = 0
        for word in wanted[:-1]:
            while position < len(parts) - 1 and word not in parts[position]:
                position += 1
            if position == len(parts) - 1:
                break
        else:
            found.append(path)
    return found


def _at_its_name(modules: tuple[str, ...], wanted: tuple[str, ...]) -> list[str]:
    """Modules right where `wanted` names them, from the root or from `src/`."""
    return [path for path in modules if dotted(path) in (wanted, ("src", *wanted))]


def is_own_package(modules: tuple[str, ...], name: str) -> bool:
    """Whether the top-level `name` is a module or package of the project (root or `src/`)."""
    return bool(_at_its_name(modules, (name,)))


def locate(modules: tuple[str, ...], missing: str, imported: list[str]) -> Location | None:
    """Where the project's module `missing` (dotted) is now; None when it is not the project's.

    Tried in order: the module is where its name says (so it is not importable from the
    run); the longest name an import statement asked for (`imported`), by its dotted
    ending, then spelled within folder names; when `missing`'s package is the project's,
    the names asked for by their endings below `missing` (`a.b.c` moved to `x/c.py`); then
    `missing` by its dotted ending, then (its package the project's) by shorter endings,
    down to its own name.
    """
    wanted = tuple(missing.split("."))
    exact = _at_its_name(modules, wanted)
    if exact:
        return Location("not_importable", missing, tuple(exact))
    for name in imported:
        longer = tuple(name.split("."))
        if len(longer) > len(wanted):
            found = _ending_with(modules, longer) or _spelled_within(modules, longer)
            if found:
                return Location("moved", name, tuple(found))
    own_package = len(wanted) > 1 and is_own_package(modules, wanted[0])
    if own_package:  # the module itself moved to another package: `a.b.c` now at `x/c.py`
        for name in imported:
            longer = tuple(name.split("."))
            for start in range(len(wanted), len(longer)):
                found = _ending_with(modules, longer[start:])
                if found:
                    return Location("moved", name, tuple(found))
    for start in range(len(wanted) if own_package else 1):
        found = _ending_with(modules, wanted[start:])
        if found:
            return Location("moved", missing, tuple(found))
    return Location("gone", missing) if own_package else None
