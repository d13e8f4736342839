"""The target's models, from `[tool.remediation] metadata = "pkg.module:Base"`.

`Base` may be a declarative base (its registry gives the mapped classes), a SQLAlchemy
`registry`, or a bare `MetaData` (its tables are then mapped with automap so that factories
still have classes to build).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.ext.automap import automap_base
from sqlalchemy.orm import registry as Registry  # noqa: N812

from testing_lib.database.errors import MetadataImportError
from testing_lib.importing import ImportPathError
from testing_lib.importing import import_object as _import_object


def import_object(path: str, *, key: str = "metadata") -> Any:
    """Import `pkg.module:attr.sub`; MetadataImportError names the key, path and cause."""
    try:
        return _import_object(path)
    except ImportPathError as exc:
        raise MetadataImportError(path, key, exc.reason) from exc


def _skip_relationships(*_args: Any, **_kwargs: Any) -> None:
    return None


@dataclass(frozen=True)
class ModelCatalog:
    """A metadata and the mapped classes built on it, found by class or table name."""

    metadata: MetaData
    classes: dict[str, type[Any]] = field(default_factory=dict)
    source: str = ""

    def by_table(self) -> dict[str, type[Any]]:
        tables: dict[str, type[Any]] = {}
        for cls in self.classes.values():
            table = getattr(cls, "__table__", None)
            if isinstance(table, Table):
                tables.setdefault(table.name, cls)
        return tables

    def find(self, class_name: str, *table_names: str) -> type[Any] | None:
        """The mapped class named `class_name`, else the one mapped to one of `table_names`."""
        if class_name in self.classes:
            return self.classes[class_name]
        tables = self.by_table()
        for name in table_names:
            if name in tables:
                return tables[name]
        return None

    def require(self, class_name: str, *table_names: str) -> type[Any]:
        found = self.find(class_name, *table_names)
        if found is None:
            wanted = ", ".join([f"class {class_name}", *(f"table {t}" for t in table_names)])
            known = ", ".join(sorted(self.classes)) or "none"
            raise LookupError(
                f"{self.source or 'the metadata'} maps no {wanted} (mapped classes: {known}): "
                f"use create(Model, ...) with one of your own classes"
            )
        return found


def catalog_from(target: Any, *, source: str = "") -> ModelCatalog:
    """A `ModelCatalog` for a declarative base, a registry or a MetaData."""
    reg: Registry | None = None
    if isinstance(target, MetaData):
        metadata = target
    elif isinstance(target, Registry):
        reg, metadata = target, target.metadata
    elif isinstance(getattr(target, "metadata", None), MetaData):
        metadata = target.metadata
        candidate = getattr(target, "registry", None)
        reg = candidate if isinstance(candidate, Registry) else None
    else:
        raise MetadataImportError(
            source or repr(target),
            "metadata",
            f"it is a {type(target).__name__}, not a declarative base, registry or MetaData: "
            "point it at your models' Base (e.g. 'app.models:Base')",
        )
    if reg is not None:
        classes = {mapper.class_.__name__: mapper.class_ for mapper in reg.mappers}
    else:
        classes = _automap(metadata)
    return ModelCatalog(metadata=metadata, classes=classes, source=source)


def _automap(metadata: MetaData) -> dict[str, type[Any]]:
    automapped = automap_base(metadata=metadata)
    automapped.prepare(generate_relationship=_skip_relationships)
    return {cls.__name__: cls for cls in automapped.classes}


def load_catalog(path: str) -> ModelCatalog:
    """Import `[tool.remediation] metadata` and describe its models."""
    return catalog_from(import_object(path, key="metadata"), source=path)
