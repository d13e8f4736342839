"""The tree a placement would leave: the folders it creates and the module names in it.

A placement maps every audited file (current path) to its planned path. New folders
inside a package get an empty `__init__.py`, so module names stay as unique as they were;
`index_for` answers module names and imports for the planned tree as pytest would see it.
"""

from __future__ import annotations

from testing_lib.organizer.audit import Audit
from testing_lib.organizer.modules import ModuleIndex, join, parent


class PlannedTree:
    """Folders, `__init__.py` files and a `ModuleIndex` for a placement of an audited root."""

    def __init__(self, audit: Audit) -> None:
        self.audit = audit
        self.root = audit.root
        self.settings = audit.settings
        self.root_importable = (
            "" in self.settings.pythonpath
            or "conftest.py" in audit.index.files
            or any(e.style == "root" for edges in audit.edges.values() for e in edges)
        )

    def new_packages(self, placement: dict[str, str]) -> tuple[list[str], list[str]]:
        """Folders to create, and the `__init__.py` files new folders inside packages get."""
        existing_dirs = self.audit.index.dirs
        created: set[str] = set()
        for source, destination in placement.items():
            if source == destination:
                continue
            folder = parent(destination)
            while folder and folder not in existing_dirs and not (self.root / folder).exists():
                created.add(folder)
                folder = parent(folder)
        packages = set(self.audit.index.packages)
        inits = []
        for folder in sorted(created, key=lambda f: f.count("/")):
            if parent(folder) in packages:
                packages.add(folder)
                inits.append(join(folder, "__init__.py"))
        return sorted(created), inits

    def index_for(self, placement: dict[str, str], inits: list[str]) -> ModuleIndex:
        """The module index of the tree once `placement` is applied and `inits` created."""
        files = {placement.get(p, p) for p in self.audit.index.files}
        files.update(inits)
        return ModuleIndex(
            files,
            pythonpath=self.settings.pythonpath,
            root_on_path=self.root_importable,
            root_package=self.audit.index.root_package,
            import_mode=self.settings.import_mode,
        )
