"""Which values a database really allows for an enum column, and which it really stores.

SQLAlchemy's `Enum` becomes a native type on PostgreSQL (`CREATE TYPE ... AS ENUM`) or a
VARCHAR with a CHECK constraint (SQLite, or `native_enum=False`). Alembic's autogenerate
compares neither the labels of a native type nor CHECK constraints, so a value missing from
the migrations goes unnoticed until a row with it is written. These functions read both
from the database (sync connection: call them through `run_sync` or from alembic's env).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Enum, MetaData, String, cast, column, func, inspect, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator, TypeEngine

_LITERAL = re.compile(r"'((?:[^']|'')*)'")


@dataclass(frozen=True)
class EnumColumn:
    """A column of the models whose type is an `Enum`."""

    table: str
    column: str
    schema: str | None
    enum_name: str | None  # the type's name (PostgreSQL type / constraint name)
    class_name: str | None  # the Python enum class, when there is one
    values: tuple[str, ...]  # what the database stores (names unless values_callable)
    native: bool  # a PostgreSQL native ENUM type
    constrained: bool  # a CHECK constraint is expected (non-native, create_constraint)

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}"

    def matches(self, name: str) -> bool:
        wanted = name.lower()
        return wanted in {
            (self.enum_name or "").lower(),
            (self.class_name or "").lower(),
            self.label.lower(),
        }


def _enum_type(type_: TypeEngine[object]) -> Enum | None:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_ if isinstance(type_, Enum) else None


def enum_columns(metadata: MetaData | Sequence[MetaData]) -> list[EnumColumn]:
    """Every Enum-typed column of `metadata` (a MetaData or alembic's list of them)."""
    metadatas = [metadata] if isinstance(metadata, MetaData) else list(metadata)
    found: list[EnumColumn] = []
    for md in metadatas:
        for tbl in md.sorted_tables:
            for col in tbl.columns:
                enum_type = _enum_type(col.type)
                if enum_type is None:
                    continue
                found.append(
                    EnumColumn(
                        table=tbl.name,
                        column=col.name,
                        schema=tbl.schema,
                        enum_name=enum_type.name,
                        class_name=enum_type.enum_class.__name__ if enum_type.enum_class else None,
                        values=tuple(enum_type.enums),
                        native=bool(enum_type.native_enum),
                        constrained=bool(enum_type.create_constraint),
                    )
                )
    return found


def check_constraint_values(conn: Connection, col: EnumColumn) -> list[str] | None:
    """The literals of the CHECK constraint on `col` (None: no such constraint)."""
    inspector = inspect(conn)
    pattern = re.compile(rf"(?<![\w.]){re.escape(col.column)}(?!\w)", re.IGNORECASE)
    for constraint in inspector.get_check_constraints(col.table, schema=col.schema):
        sqltext = str(constraint.get("sqltext") or "")
        if pattern.search(sqltext) and _LITERAL.search(sqltext):
            return [value.replace("''", "'") for value in _LITERAL.findall(sqltext)]
    return None


def native_enum_values(conn: Connection, type_name: str) -> list[str] | None:
    """The labels of PostgreSQL enum type `type_name`, in order (None: no such type)."""
    if conn.dialect.name != "postgresql":
        return None
    rows = conn.execute(
        text(
            "SELECT e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
            "WHERE t.typname = :name ORDER BY e.enumsortorder"
        ),
        {"name": type_name},
    ).all()
    if rows:
        return [str(row[0]) for row in rows]
    exists = conn.execute(
        text("SELECT 1 FROM pg_type WHERE typname = :name"), {"name": type_name}
    ).first()
    return [] if exists else None


def database_values(conn: Connection, col: EnumColumn) -> tuple[list[str] | None, str]:
    """(values the database allows for `col`, where that came from).

    None when the database does not restrict the column (no CHECK, no native type).
    """
    if conn.dialect.name == "postgresql" and col.native and col.enum_name:
        return native_enum_values(conn, col.enum_name), f"PostgreSQL type {col.enum_name}"
    return check_constraint_values(conn, col), "CHECK constraint"


def table_exists(conn: Connection, col: EnumColumn) -> bool:
    return bool(inspect(conn).has_table(col.table, schema=col.schema))


def stored_values_outside(
    conn: Connection, col: EnumColumn, allowed: Iterable[str]
) -> dict[str, int]:
    """{stored value: row count} for rows of `col` whose value is not in `allowed`."""
    allowed_list = list(allowed)
    tbl = table(col.table, column(col.column), schema=col.schema)
    # As text: on PostgreSQL, comparing a native enum with a label it lacks is an error.
    target = cast(tbl.c[col.column], String)
    query = select(target, func.count()).where(target.is_not(None)).group_by(target)
    if allowed_list:
        query = query.where(target.not_in(allowed_list))
    return {str(value): int(count) for value, count in conn.execute(query).all()}
