"""Enum values in the database, checked against the models or against a planned new set.

Alembic does not compare the values of enum columns. `compare_enum_values` reports, as
drift items, where the database's PostgreSQL enum labels or CHECK constraints differ from
the models; `validate_enum_values` says whether changing an enum to new values is safe for
the rows already stored, and what the migration must do.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from testing_lib.database.drift import DriftItem
from testing_lib.database.enums import (
    database_values,
    enum_columns,
    stored_values_outside,
    table_exists,
)


class EnumColumnReport(BaseModel):
    table: str
    column: str
    database_values: list[str] | None  # None: the database does not restrict the column
    source: str  # "CHECK constraint" or "PostgreSQL type <name>"
    stored_outside: dict[str, int] = Field(default_factory=dict)  # value -> rows
    values_to_add: list[str] = Field(default_factory=list)  # new values the DB rejects today
    values_to_drop: list[str] = Field(default_factory=list)  # allowed today, not in the new set


class EnumMigrationReport(BaseModel):
    """Whether changing an enum to `new_values` is safe for the data already stored."""

    enum_name: str
    new_values: list[str]
    columns: list[EnumColumnReport] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # unsafe: the migration would fail
    notes: list[str] = Field(default_factory=list)  # what the migration must do

    @computed_field  # type: ignore[prop-decorator]
    @property
    def safe(self) -> bool:
        return not self.problems


def validate_enum_values(
    conn: Connection, metadata: MetaData | Sequence[MetaData], report: EnumMigrationReport
) -> None:
    """Fill `report` for its enum from the database behind `conn`."""
    columns = [col for col in enum_columns(metadata) if col.matches(report.enum_name)]
    if not columns:
        known = sorted({c.enum_name or c.class_name or c.label for c in enum_columns(metadata)})
        report.problems.append(
            f"no column of the models uses enum {report.enum_name!r} (enums: "
            f"{', '.join(known) or 'none'}): name the type, its Python class or table.column"
        )
        return
    new = report.new_values
    for col in columns:
        if not table_exists(conn, col):
            report.notes.append(f"table {col.table} does not exist yet: nothing stored")
            continue
        allowed, source = database_values(conn, col)
        outside = stored_values_outside(conn, col, new)
        entry = EnumColumnReport(
            table=col.table,
            column=col.column,
            database_values=allowed,
            source=source,
            stored_outside=outside,
            values_to_add=[v for v in new if allowed is not None and v not in allowed],
            values_to_drop=[v for v in (allowed or []) if v not in new],
        )
        report.columns.append(entry)
        if outside:
            held = ", ".join(
                f"{value!r} ({count} rows)" for value, count in sorted(outside.items())
            )
            report.problems.append(
                f"{col.label} stores values outside the new set: {held}; update those rows in "
                "the migration before changing the type"
            )
        if entry.values_to_add:
            how = (
                f"ALTER TYPE {col.enum_name} ADD VALUE for each"
                if source.startswith("PostgreSQL")
                else "recreate the CHECK constraint (batch_alter_table on SQLite)"
            )
            report.notes.append(
                f"{col.label}: the {source} rejects {', '.join(entry.values_to_add)} today: {how}"
            )
        if entry.values_to_drop and source.startswith("PostgreSQL"):
            report.notes.append(
                f"{col.label}: PostgreSQL cannot drop enum labels "
                f"({', '.join(entry.values_to_drop)}): create a new type and convert the column"
            )


def compare_enum_values(
    conn: Connection, metadata: MetaData | Sequence[MetaData]
) -> list[DriftItem]:
    """Enum columns whose allowed values in the database differ from the models'."""
    items: list[DriftItem] = []
    for col in enum_columns(metadata):
        if not table_exists(conn, col):
            continue  # alembic reports the missing table
        allowed, source = database_values(conn, col)
        if allowed is None:
            if col.native and conn.dialect.name == "postgresql":
                items.append(
                    DriftItem(
                        kind="enum_values",
                        table=col.table,
                        column=col.column,
                        detail=f"enum {col.enum_name} ({col.label}) has no PostgreSQL type in the "
                        "migrated database",
                    )
                )
            elif col.constrained:
                items.append(
                    DriftItem(
                        kind="enum_values",
                        table=col.table,
                        column=col.column,
                        detail=f"enum {col.enum_name or col.class_name} ({col.label}) has no CHECK "
                        "constraint in the migrated database",
                    )
                )
            continue
        missing = [v for v in col.values if v not in allowed]
        extra = [v for v in allowed if v not in col.values]
        name = col.enum_name or col.class_name or col.label
        if missing:
            items.append(
                DriftItem(
                    kind="enum_values",
                    table=col.table,
                    column=col.column,
                    detail=f"enum {name} ({col.label}): the models have "
                    f"{', '.join(missing)}, which the migrations' {source} does not allow",
                )
            )
        if extra:
            items.append(
                DriftItem(
                    kind="enum_values",
                    table=col.table,
                    column=col.column,
                    detail=f"enum {name} ({col.label}): the migrations' {source} allows "
                    f"{', '.join(extra)}, which the models no longer have",
                )
            )
    return items
