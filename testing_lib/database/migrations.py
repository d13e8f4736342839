"""Alembic migrations (seed section 5.2): apply, generate, check for drift, validate enums.

`MigrationHandler` drives alembic's own API against the target's `alembic.ini` and
`env.py`, so the URL, metadata and comparison options are the target's. Alembic is
synchronous (and an async `env.py` calls `asyncio.run`), so every call runs in a worker
thread: the event loop is never blocked.

`check()` reports what `alembic check` would, as typed `DriftItem`s, plus what alembic does
not compare: the values of enum columns (PostgreSQL enum labels, SQLite/VARCHAR CHECK
constraints) against the models.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.autogenerate import RevisionContext
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util.exc import CommandError
from pydantic import BaseModel, Field, computed_field
from sqlalchemy import Column, Index, MetaData, Table
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

from testing_lib.database.engine import is_postgresql, is_sqlite, mask_url, parse_url
from testing_lib.database.enums import (
    EnumColumn,
    database_values,
    enum_columns,
    stored_values_outside,
    table_exists,
)
from testing_lib.database.errors import MigrationError, MultipleHeadsError
from testing_lib.database.provisioning import (
    create_database,
    drop_database,
    private_database_name,
)

logger = logging.getLogger(__name__)

R = TypeVar("R")

# What running alembic and the target's env.py is expected to raise.
_ALEMBIC_ERRORS = (CommandError, SQLAlchemyError, OSError, ImportError, KeyError, ValueError)


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


class MigrationHandler:
    """Handles database migrations and schema checks through alembic's API."""

    def __init__(
        self,
        alembic_cfg_path: str | Path = "alembic.ini",
        *,
        url: str | URL | None = None,
        metadata: MetaData | None = None,
    ) -> None:
        self.config_path = Path(alembic_cfg_path)
        if not self.config_path.is_file():
            raise MigrationError(
                f"no alembic configuration at {self.config_path}: set "
                "[tool.remediation.testing.database] alembic_config to the target's alembic.ini"
            )
        self.url = parse_url(url) if url is not None else None
        self.metadata = metadata
        self.output = io.StringIO()  # alembic's "print" output, kept off stdout
        self.alembic_cfg = Config(str(self.config_path), stdout=self.output)
        self.alembic_cfg.attributes["configure_logger"] = False
        if self.url is not None:
            rendered = self.url.render_as_string(hide_password=False)
            self.alembic_cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))

    # -- heads -----------------------------------------------------------------------------

    def script_directory(self) -> ScriptDirectory:
        try:
            return ScriptDirectory.from_config(self.alembic_cfg)
        except CommandError as exc:
            raise MigrationError(f"{self.config_path}: {exc}") from exc

    def heads(self) -> dict[str, str]:
        """{head revision: its file} of the migration directory."""
        script = self.script_directory()
        heads: dict[str, str] = {}
        for rev in script.get_heads():
            revision = script.get_revision(rev)
            heads[rev] = str(revision.path) if revision is not None else "?"
        return heads

    def require_single_head(self) -> str | None:
        """The one head (None for an empty history); MultipleHeadsError names them all."""
        heads = self.heads()
        if len(heads) > 1:
            raise MultipleHeadsError(heads)
        return next(iter(heads), None)

    # -- commands --------------------------------------------------------------------------

    async def apply_migrations(self, revision: str = "head") -> None:
        """Upgrade the database to `revision` (default: the single head)."""
        if revision == "head":
            self.require_single_head()
        await asyncio.to_thread(self._alembic, "upgrade", command.upgrade, revision)
        logger.info("applied migrations up to %s", revision)

    async def generate_migration(self, message: str) -> str:
        """Autogenerate a revision from the models' differences; return its id."""
        self.require_single_head()
        result = await asyncio.to_thread(
            self._alembic, "revision", command.revision, message=message, autogenerate=True
        )
        scripts = result if isinstance(result, list) else [result]
        revisions = [script.revision for script in scripts if isinstance(script, Script)]
        if not revisions:
            raise MigrationError(f"alembic generated no revision for {message!r}")
        logger.info("generated migration %s: %s", revisions[-1], message)
        return revisions[-1]

    def _alembic(self, name: str, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        try:
            return fn(self.alembic_cfg, *args, **kwargs)
        except _ALEMBIC_ERRORS as exc:
            raise MigrationError(
                f"alembic {name} failed ({self.config_path}, database "
                f"{self._database_label()}): {type(exc).__name__}: {exc}"
            ) from exc

    def _database_label(self) -> str:
        if self.url is not None:
            return mask_url(self.url)
        configured = self.alembic_cfg.get_main_option("sqlalchemy.url")
        return mask_url(configured) if configured else "from env.py"

    # -- check -----------------------------------------------------------------------------

    async def check(self) -> DriftReport:
        """Compare the models with the database (which must be at head), as `alembic check`."""
        report = DriftReport(database=self._database_label())
        try:
            heads = self.heads()
        except MigrationError as exc:
            report.problems.append(str(exc))
            return report
        report.heads = sorted(heads)
        if len(heads) > 1:
            report.problems.append(str(MultipleHeadsError(heads)))
            return report
        try:
            items = await asyncio.to_thread(self._check_sync)
        except MigrationError as exc:
            report.problems.append(str(exc))
            return report
        report.items = items
        return report

    def _check_sync(self) -> list[DriftItem]:
        script = self.script_directory()
        revision_context = RevisionContext(
            self.alembic_cfg,
            script,
            {
                "message": None,
                "autogenerate": True,
                "sql": False,
                "head": "head",
                "splice": False,
                "branch_label": None,
                "version_path": None,
                "rev_id": None,
                "depends_on": None,
            },
        )
        enum_items: list[DriftItem] = []

        def compare(rev: Any, context: MigrationContext) -> list[Any]:
            revision_context.run_autogenerate(rev, context)
            metadata = self._target_metadata(context)
            if context.connection is not None and metadata is not None:
                enum_items.extend(compare_enum_values(context.connection, metadata))
            return []

        self._run_env(
            compare,
            template_args=revision_context.template_args,
            revision_context=revision_context,
        )
        items: list[DriftItem] = []
        migration_script = revision_context.generated_revisions[-1]
        for upgrade_ops in migration_script.upgrade_ops_list:
            for diff in upgrade_ops.as_diffs():
                items.extend(describe_diff(diff))
        return items + enum_items

    def _target_metadata(self, context: MigrationContext) -> MetaData | Sequence[MetaData] | None:
        if self.metadata is not None:
            return self.metadata
        found = context.opts.get("target_metadata")
        if isinstance(found, MetaData) or (
            isinstance(found, Sequence) and all(isinstance(m, MetaData) for m in found)
        ):
            return found
        return None

    def _run_env(self, fn: Callable[[Any, MigrationContext], list[Any]], **kwargs: Any) -> None:
        script = self.script_directory()
        try:
            with EnvironmentContext(self.alembic_cfg, script, fn=fn, as_sql=False, **kwargs):
                script.run_env()
        except MigrationError:
            raise
        except _ALEMBIC_ERRORS as exc:
            raise MigrationError(
                f"running {self.config_path}'s env.py against {self._database_label()} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    # -- enums -----------------------------------------------------------------------------

    async def validate_enum_migration(
        self, enum_name: str, new_values: list[str]
    ) -> EnumMigrationReport:
        """Inspect the database: can enum `enum_name` become exactly `new_values`?

        `enum_name` is the type's name, the Python enum class's name or `table.column`.
        Rows holding a value outside `new_values` make it unsafe; the report also says which
        values the database's CHECK constraint or PostgreSQL type must gain or lose.
        """
        return await asyncio.to_thread(self._validate_enum_sync, enum_name, list(new_values))

    def _validate_enum_sync(self, enum_name: str, new_values: list[str]) -> EnumMigrationReport:
        report = EnumMigrationReport(enum_name=enum_name, new_values=new_values)

        def inspect_enum(_rev: Any, context: MigrationContext) -> list[Any]:
            metadata = self._target_metadata(context)
            conn = context.connection
            if metadata is None or conn is None:
                report.problems.append(
                    "env.py gives no target_metadata: pass metadata= to MigrationHandler"
                )
                return []
            validate_enum_values(conn, metadata, report)
            return []

        self._run_env(inspect_enum)
        return report


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


@asynccontextmanager
async def scratch_database(like: str | URL) -> AsyncIterator[URL]:
    """An empty database of the same kind as `like`, dropped afterwards.

    SQLite: a file in a temporary directory (same driver). PostgreSQL: a private database
    created through `like`'s server.
    """
    base = parse_url(like)
    if is_sqlite(base):
        with tempfile.TemporaryDirectory(prefix="remediation-migrations-") as scratch:
            yield base.set(database=str(Path(scratch) / "migrations.db"))
        return
    if is_postgresql(base):
        name = private_database_name(base.database, "migrations")
        await create_database(base, name)
        try:
            yield base.set(database=name)
        finally:
            await drop_database(base, name)
        return
    raise MigrationError(
        f"cannot make a scratch {base.get_backend_name()} database to check migrations: use a "
        "SQLite or PostgreSQL URL in [tool.remediation.testing.database] url"
    )


async def check_migrations(
    alembic_cfg_path: str | Path,
    like_url: str | URL,
    *,
    metadata: MetaData | None = None,
    url_env: str | None = None,
) -> DriftReport:
    """Upgrade a scratch database to head, then `check()` it against the models.

    `url_env` (e.g. "DATABASE_URL") is also pointed at the scratch database while alembic
    runs, for env.py files that read their URL from the environment rather than from
    `sqlalchemy.url`; set it only in a process of its own (the phase check's subprocess).
    """
    handler = MigrationHandler(alembic_cfg_path, metadata=metadata)
    try:
        heads = handler.heads()
    except MigrationError as exc:
        return DriftReport(problems=[str(exc)])
    if len(heads) > 1:
        return DriftReport(heads=sorted(heads), problems=[str(MultipleHeadsError(heads))])
    async with scratch_database(like_url) as url:
        if url_env is not None:
            os.environ[url_env] = url.render_as_string(hide_password=False)
        handler = MigrationHandler(alembic_cfg_path, url=url, metadata=metadata)
        try:
            await handler.apply_migrations()
        except MigrationError as exc:
            return DriftReport(heads=sorted(heads), problems=[str(exc)], database=mask_url(url))
        return await handler.check()


__all__ = [
    "DriftItem",
    "DriftReport",
    "EnumColumn",
    "EnumColumnReport",
    "EnumMigrationReport",
    "MigrationHandler",
    "check_migrations",
    "compare_enum_values",
    "describe_diff",
    "scratch_database",
    "validate_enum_values",
]
