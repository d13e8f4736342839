"""Drift between the models and the migrated database, as typed items.

`DriftItem` is one difference, `DriftReport` what `alembic check` would say plus head
problems; `describe_diff` turns alembic's autogenerate diffs into items.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import Column, Index, Table


class DriftItem(BaseModel):
    """One difference between the models and the migrated database."""

    kind: str  # alembic's operation ("add_column", "modify_type", ...) or "enum_values"
    table: str | None = None
    column: str | None = None
    detail: str


class DriftReport(BaseModel):
    """What `alembic check` would say, typed, plus enum values and head problems."""

    heads: list[str] = Field(default_factory=list)
    items: list[DriftItem] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    database: str = ""  # the (masked) URL that was compared

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_drift(self) -> bool:
        return bool(self.items or self.problems)

    def summary(self) -> str:
        if not self.has_drift:
            return f"models and migrations agree (head {', '.join(self.heads) or 'none'})"
        parts = list(self.problems)
        parts += [item.detail for item in self.items]
        return "; ".join(parts)


def _table_name(obj: Any) -> str | None:
    if isinstance(obj, Table):
        return obj.name
    table = getattr(obj, "table", None)
    return table.name if isinstance(table, Table) else None


def describe_diff(diff: Any) -> list[DriftItem]:
    """alembic's `as_diffs()` entries (tuples, or lists of tuples for one column) as items."""
    if isinstance(diff, list):
        return [item for sub in diff for item in describe_diff(sub)]
    if not isinstance(diff, tuple) or not diff:
        return [DriftItem(kind="unknown", detail=repr(diff))]
    kind = str(diff[0])
    if kind in ("add_table", "remove_table"):
        table = diff[1]
        where = "models" if kind == "add_table" else "migrations"
        return [
            DriftItem(
                kind=kind, table=table.name, detail=f"table {table.name} is only in the {where}"
            )
        ]
    if kind in ("add_column", "remove_column"):
        _, _schema, tname, col = diff
        where = "models" if kind == "add_column" else "migrations"
        name = col.name if isinstance(col, Column) else str(col)
        return [
            DriftItem(
                kind=kind,
                table=tname,
                column=name,
                detail=f"column {tname}.{name} is only in the {where}",
            )
        ]
    if kind.startswith("modify_"):
        _, _schema, tname, cname, _existing, old, new = diff
        what = kind.removeprefix("modify_")
        return [
            DriftItem(
                kind=kind,
                table=tname,
                column=cname,
                detail=f"column {tname}.{cname} {what}: migrations {old!r}, models {new!r}",
            )
        ]
    if kind in ("add_index", "remove_index") and isinstance(diff[1], Index):
        index = diff[1]
        index_table = _table_name(index)
        where = "models" if kind == "add_index" else "migrations"
        return [
            DriftItem(
                kind=kind,
                table=index_table,
                detail=f"index {index.name} on {index_table} is only in the {where}",
            )
        ]
    obj = diff[1] if len(diff) > 1 else None
    obj_table = _table_name(obj)
    obj_name = getattr(obj, "name", None)
    label = f"{kind.replace('_', ' ')} {obj_name or ''}".strip()
    return [DriftItem(kind=kind, table=obj_table, detail=f"{label} on {obj_table or '?'}")]
