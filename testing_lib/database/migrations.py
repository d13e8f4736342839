"""Alembic migrations: apply, generate, check for drift, validate enums.

`MigrationHandler` drives alembic's own API against the target's `alembic.ini` and
`env.py`, so the URL, metadata and comparison options are the target's. Alembic is
synchronous (and an async `env.py` calls `asyncio.run`), so every call runs in a worker
thread: the event loop is never blocked.

`check()` reports what `alembic check` would, as typed `DriftItem`s (`drift`), plus what
alembic does not compare: the values of enum columns (PostgreSQL enum labels, SQLite/VARCHAR
CHECK constraints) against the models (`enum_checks`). `check_migrations` runs the whole
check on a scratch database (`scratch`). The report types and helpers of those modules are
re-exported here.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.autogenerate import RevisionContext
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import MetaData
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from testing_lib.database.drift import DriftItem, DriftReport, describe_diff
from testing_lib.database.engine import mask_url, parse_url
from testing_lib.database.enum_checks import (
    EnumColumnReport,
    EnumMigrationReport,
    compare_enum_values,
    validate_enum_values,
)
from testing_lib.database.enums import EnumColumn
from testing_lib.database.errors import MigrationError, MultipleHeadsError
from testing_lib.database.scratch import scratch_database

logger = logging.getLogger(__name__)

R = TypeVar("R")

# What running alembic and the target's env.py is expected to raise.
_ALEMBIC_ERRORS = (CommandError, SQLAlchemyError, OSError, ImportError, KeyError, ValueError)


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
