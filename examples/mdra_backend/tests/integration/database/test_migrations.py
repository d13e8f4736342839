"""Alembic migrations against a real SQLite file: upgrade, downgrade, and no model drift."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect

from mdra.database import Base

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MODEL_TABLES = {"users", "projects", "predicate_devices"}


@pytest.fixture
def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[Connection]:
    engine = create_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
    with engine.begin() as conn:
        yield conn
    engine.dispose()


def _upgrade(config: Config, connection: Connection, revision: str = "head") -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def test_migrations_have_a_single_head(alembic_config: Config) -> None:
    heads = ScriptDirectory.from_config(alembic_config).get_heads()

    assert heads == ["0001"]


def test_upgrade_head_creates_every_model_table(
    alembic_config: Config, connection: Connection
) -> None:
    _upgrade(alembic_config, connection)

    tables = set(inspect(connection).get_table_names())
    assert tables == MODEL_TABLES | {"alembic_version"}
    assert MigrationContext.configure(connection).get_current_revision() == "0001"


def test_migrated_schema_matches_the_models_without_drift(
    alembic_config: Config, connection: Connection
) -> None:
    _upgrade(alembic_config, connection)

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diff = compare_metadata(context, Base.metadata)

    assert diff == []


def test_downgrade_to_base_removes_every_table(
    alembic_config: Config, connection: Connection
) -> None:
    _upgrade(alembic_config, connection)

    command.downgrade(alembic_config, "base")

    assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    assert MigrationContext.configure(connection).get_current_revision() is None


def test_env_migrates_the_database_named_by_database_url(
    alembic_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = tmp_path / "from-env.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db_file}")

    command.upgrade(alembic_config, "head")  # env.py's own async engine this time

    engine = create_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            assert MODEL_TABLES <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
