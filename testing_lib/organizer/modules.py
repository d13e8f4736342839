"""Module names and import resolution in a target tree, as pytest's default import mode sees it.

In `prepend` mode pytest imports a test module (or conftest) under the name it has
relative to its *basedir*, the first folder above it without an `__init__.py`, and puts
that basedir first on `sys.path`. So a module in a folder without `__init__.py` is imported
by its bare file name (two such `test_x.py` anywhere clash: "import file mismatch"), and
`import helpers` finds `helpers.py` beside it. The engine always runs `python -m pytest`
in the target root, which puts the root on `sys.path` too; `pythonpath` adds more.

When the root is itself a package (`backend/__init__.py`), a module whose packages reach
the root has its basedir *above* the root (`ABOVE`): it is imported as `backend.tests.x`,
and `import backend.app` works from it. In `importlib` mode pytest puts no test folder on
`sys.path` and names modules outside packages by their path, so they never clash.

`ModuleIndex` answers, for a tree of files that may not exist yet (a planned layout):
what is this file's module name, and which file does this import statement name.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from testing_lib.organizer.analysis import ImportRef

Style = Literal["relative", "basedir", "conftest", "pythonpath", "root"]

ABOVE = "<above the root>"  # a basedir: the folder above a root that is itself a package


def parent(path: str) -> str:
    """The folder of a relative posix path ("" for the root)."""
    head, _, _ = path.rpartition("/")
    return head


def join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def is_under(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


@dataclass(frozen=True, slots=True)
class Target:
    """What one imported name resolves to."""

    path: str | None  # the module file (`pkg/__init__.py` for a package); None: a namespace
    dotted: str  # the absolute module name it was found under
    base: str  # the sys.path folder it was found in
    style: Style


@dataclass(frozen=True, slots=True)
class Edge:
    """An import in `importer` that names module `target` (a file of the tree)."""

    importer: str
    ref: ImportRef
    name: str | None  # for `from P import name` when `name` is the module itself
    target: str
    style: Style


class ModuleIndex:
    def __init__(
        self,
        files: Iterable[str],
        *,
        pythonpath: Iterable[str] = (),
        root_on_path: bool = True,
        root_package: str | None = None,
        import_mode: str = "prepend",
    ) -> None:
        self.files = set(files)
        self.pythonpath = [p for p in pythonpath]
        self.root_on_path = root_on_path
        # the root's own dotted name when it (and maybe folders above it) are packages
        self.root_package = root_package if "__init__.py" in self.files else None
        self.importlib = import_mode == "importlib"
        self.packages: set[str] = set()
        self.dirs: set[str] = {""}
        self.conftest_dirs: set[str] = set()
        self._by_name: dict[str, str] | None = None
        for file in self.files:
            folder = parent(file)
            name = file.rpartition("/")[2]
            if name == "__init__.py":
                self.packages.add(folder)
            elif name == "conftest.py":
                self.conftest_dirs.add(folder)
            while folder and folder not in self.dirs:
                self.dirs.add(folder)
                folder = parent(folder)

    # -- names --------------------------------------------------------------------------------

    def is_package(self, folder: str) -> bool:
        if folder == "":
            return self.root_package is not None
        return folder in self.packages

    def basedir(self, path: str) -> str:
        """The folder pytest puts on sys.path for `path` (`ABOVE` past a package root)."""
        folder = parent(path)
        while folder and self.is_package(folder):
            folder = parent(folder)
        if folder == "" and self.is_package(""):
            return ABOVE
        return folder

    def dotted_under(self, base: str, path: str) -> str:
        """The module name of `path` found from sys.path folder `base`."""
        if base == ABOVE:
            assert self.root_package is not None
            relative = f"{self.root_package.replace('.', '/')}/{path}"
        else:
            relative = path[len(base) + 1 :] if base else path
        name = relative.removesuffix(".py").replace("/", ".")
        return name.removesuffix(".__init__")

    def module_name(self, path: str) -> str:
        if self.importlib and not self.in_package(path):
            return self.dotted_under("", path)  # importlib mode: named by its path
        return self.dotted_under(self.basedir(path), path)

    def in_package(self, path: str) -> bool:
        return self.is_package(parent(path))

    def ancestor_conftests(self, path: str) -> list[str]:
        """conftest.py files whose folder contains `path`, nearest first."""
        found = []
        folder = parent(path)
        while True:
            if folder in self.conftest_dirs:
                found.append(join(folder, "conftest.py"))
            if folder == "":
                return found
            folder = parent(folder)

    def search_path(self, importer: str) -> list[tuple[str, Style]]:
        """sys.path folders when `importer` runs, first match wins."""
        entries: list[tuple[str, Style]] = []
        if not self.importlib:  # importlib mode puts no test folder on sys.path
            entries.append((self.basedir(importer), "basedir"))
            for conftest in self.ancestor_conftests(importer):
                entries.append((self.basedir(conftest), "conftest"))
        entries += [(p, "pythonpath") for p in self.pythonpath]
        if self.root_on_path:
            entries.append(("", "root"))
        seen: set[str] = set()
        unique = []
        for folder, style in entries:
            if folder not in seen:
                seen.add(folder)
                unique.append((folder, style))
        return unique

    # -- lookup -------------------------------------------------------------------------------

    def find(self, dotted: str, bases: list[tuple[str, Style]]) -> Target | None:
        """The first regular module or package for `dotted` on `bases`, else a namespace."""
        namespace: Target | None = None
        for base, style in bases:
            candidate = self._candidate(base, dotted)
            if candidate is None:
                continue
            if candidate and candidate + ".py" in self.files:
                return Target(candidate + ".py", dotted, base, style)
            if join(candidate, "__init__.py") in self.files:
                return Target(join(candidate, "__init__.py"), dotted, base, style)
            if namespace is None and candidate in self.dirs:
                namespace = Target(None, dotted, base, style)
        return namespace

    def _candidate(self, base: str, dotted: str) -> str | None:
        """The path (without `.py`) `dotted` names on sys.path folder `base`, if any."""
        if base != ABOVE:
            return join(base, dotted.replace(".", "/"))
        if self.root_package is None:
            return None
        if dotted == self.root_package:
            return ""
        prefix = self.root_package + "."
        if dotted.startswith(prefix):
            return dotted[len(prefix) :].replace(".", "/")
        return None

    def package_of(self, importer: str) -> str | None:
        """The package an importer's relative imports start from, None outside packages."""
        if not self.in_package(importer):
            return None
        name = self.module_name(importer)
        if importer.endswith("/__init__.py"):
            return name
        return name.rpartition(".")[0]

    def absolute(self, importer: str, ref: ImportRef) -> tuple[str, list[tuple[str, Style]]] | None:
        """The absolute module name an import names, and where to look for it.

        Relative imports outside packages are read as folder-relative (what their author
        meant); `relative_folder` tells them apart.
        """
        if ref.level == 0:
            return ref.module, self.search_path(importer)
        package = self.package_of(importer)
        if package is None:
            return None
        parts = package.split(".") if package else []
        if ref.level - 1 > len(parts):
            return None
        kept = parts[: len(parts) - (ref.level - 1)]
        name = ".".join([*kept, *([ref.module] if ref.module else [])])
        return name, [(self.basedir(importer), "relative")]

    def relative_folder(self, importer: str, ref: ImportRef) -> tuple[str, str] | None:
        """For a relative import outside packages: (folder it points at, module path)."""
        folder = parent(importer)
        for _ in range(ref.level - 1):
            if folder == "":
                return None
            folder = parent(folder)
        return folder, ref.module

    def edges(self, importer: str, ref: ImportRef) -> list[Edge]:
        """The files of the tree this import names (none for external modules)."""
        located = self.absolute(importer, ref)
        if located is None:
            if ref.level == 0:
                return []
            pointed = self.relative_folder(importer, ref)
            if pointed is None:
                return []
            folder, module = pointed
            bases: list[tuple[str, Style]] = [(folder, "relative")]
            name = module
        else:
            name, bases = located
        style_for: Style | None = "relative" if ref.level else None
        found: list[Edge] = []
        if not ref.is_from:
            target = self.find(name, bases)
            if target is not None and target.path is not None:
                found.append(Edge(importer, ref, None, target.path, style_for or target.style))
            return found
        for imported in ref.names:
            if imported == "*":  # a star import names the module itself
                target = self.find(name, bases) if name else None
                if target is not None and target.path is not None:
                    found.append(Edge(importer, ref, None, target.path, style_for or target.style))
                continue
            sub = self.find(f"{name}.{imported}" if name else imported, bases)
            if sub is not None and sub.path is not None and not sub.path.endswith("__init__.py"):
                found.append(Edge(importer, ref, imported, sub.path, style_for or sub.style))
                continue
            if name:
                target = self.find(name, bases)
                if target is not None and target.path is not None:
                    found.append(Edge(importer, ref, None, target.path, style_for or target.style))
        return found

    def missing(
        self, importer: str, ref: ImportRef, *, installed: Container[str] = ()
    ) -> str | None:
        """Why this import cannot resolve inside the tree, None when it does or is external.

        An import is checked only when its first segment exists in the tree (on this
        importer's path or anywhere as a folder/module of that name): `import requests`
        is the interpreter's business, `from tests.utilz import x` is ours. `installed`:
        top-level names the interpreter imports from elsewhere (a folder of the tree
        without `__init__.py` does not shadow them).
        """
        located = self.absolute(importer, ref)
        if located is None:
            return None  # relative outside a package: reported as its own problem
        name, bases = located
        if not name:
            return None  # `from . import x`: x may be an attribute of the package
        if ref.level == 0 and name.split(".")[0] in installed:
            return None  # an installed package wins over a folder without __init__.py
        if ref.level == 0 and self.find(name.split(".")[0], bases) is None:
            elsewhere = self.anywhere(name.split(".")[0])
            if elsewhere is None:
                return None
            return (
                f"'{name}' is not importable from {importer}: {elsewhere} exists, but its "
                "folder is on sys.path only when another module put it there (which depends "
                "on the order); install it in the target's interpreter (`pip install -e .` "
                "for a src/ layout), add its folder to pytest's `pythonpath`, or import it "
                "by its path from the root"
            )
        prefix = ""
        for part in name.split("."):
            prefix = f"{prefix}.{part}" if prefix else part
            target = self.find(prefix, bases)
            if target is None:
                return f"module '{prefix}' does not exist in the target"
            if target.path is not None and not target.path.endswith("__init__.py"):
                return None  # a plain module; what follows can only be attributes
        if ref.is_from:
            target = self.find(name, bases)
            if target is not None and target.path is None:  # a namespace: names must be modules
                for imported in ref.names:
                    if imported != "*" and self.find(f"{name}.{imported}", bases) is None:
                        return f"'{name}' is a folder without '{imported}.py'"
        return None

    def namespace_only(self, first: str, bases: list[tuple[str, Style]]) -> bool:
        """`first` is found on `bases` only as folders without `__init__.py`."""
        target = self.find(first, bases)
        return target is not None and target.path is None

    def anywhere(self, first: str) -> str | None:
        if self._by_name is None:
            by_name: dict[str, str] = {}
            for folder in sorted(self.dirs, reverse=True):
                if folder:
                    by_name[folder.rpartition("/")[2]] = folder + "/"
            for file in sorted(self.files, reverse=True):
                path = PurePosixPath(file)
                if path.name != "__init__.py":
                    by_name[path.stem] = file
            self._by_name = by_name
        return self._by_name.get(first)
