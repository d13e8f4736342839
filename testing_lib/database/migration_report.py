"""`python -m testing_lib.database.migration_report`: the migration check, in the target.

Runs in the target's own interpreter and working directory (the engine never imports a
target): upgrades a scratch database to head with the target's alembic configuration, then
compares it with the models. Writes a `DriftReport` as JSON to `--output`; the exit status
is 0 when the models and migrations agree, 1 on drift or problems, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from testing_lib.database.errors import MigrationError
from testing_lib.database.metadata import load_catalog
from testing_lib.database.migrations import DriftReport, check_migrations
from testing_lib.exceptions import TargetConfigError

DEFAULT_URL = "sqlite+aiosqlite:///:memory:"


def build_report(alembic_config: Path, like_url: str, metadata_path: str | None) -> DriftReport:
    metadata = None
    if metadata_path:
        try:
            metadata = load_catalog(metadata_path).metadata
        except TargetConfigError as exc:
            return DriftReport(problems=[str(exc)])
    try:
        return asyncio.run(
            check_migrations(alembic_config, like_url, metadata=metadata, url_env="DATABASE_URL")
        )
    except (MigrationError, TargetConfigError) as exc:
        return DriftReport(problems=[str(exc)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testing_lib.database.migration_report")
    parser.add_argument("--config", type=Path, default=Path("alembic.ini"))
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--metadata", default=None, help="package.module:Base")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    report = build_report(args.config, args.url, args.metadata)
    args.output.write_text(report.model_dump_json(), encoding="utf-8")
    return 1 if report.has_drift else 0


if __name__ == "__main__":
    raise SystemExit(main())
