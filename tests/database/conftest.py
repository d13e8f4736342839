"""Shared pieces of the database tests: generated models, backends, PostgreSQL access.

PostgreSQL: the URL comes from REMEDIATION_TEST_POSTGRES_URL (default: the local server,
`postgresql+asyncpg://postgres@127.0.0.1:5432/test`). Every database a test uses is created
and dropped by the test itself (through that server). When the server cannot be reached the
PostgreSQL tests skip, naming the variable; with REMEDIATION_REQUIRE_POSTGRES=1 (CI) they
fail instead.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import textwrap
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

from testing_lib.database.engine import CONNECT_ERRORS, build_engine, ensure_reachable, mask_url
from testing_lib.database.errors import DatabaseUnreachableError

POSTGRES_ENV = "REMEDIATION_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "REMEDIATION_REQUIRE_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SQLITE_URL = "sqlite+aiosqlite:///:memory:"

# The models every database test uses: users own projects (with a status enum that has a
# CHECK constraint), projects hold predicate devices (unique k_number per project).
MODELS_SOURCE = """
import enum
from datetime import UTC, date, datetime

from sqlalchemy import Date, DateTime, Enum, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class ProjectStatus(enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    google_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    projects: Mapped[list["Project"]] = relationship(back_populates="user", lazy="raise")


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[ProjectStatus] = mapped_column(
        Enum(ProjectStatus, name="project_status", native_enum=False, create_constraint=True,
             length=20),
        default=ProjectStatus.DRAFT,
    )
    user: Mapped[User] = relationship(back_populates="projects", lazy="raise")


class PredicateDevice(Base):
    __tablename__ = "predicate_devices"
    __table_args__ = (UniqueConstraint("project_id", "k_number", name="uq_project_k_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    k_number: Mapped[str] = mapped_column(String(20))
    device_name: Mapped[str] = mapped_column(String(200))
    clearance_date: Mapped[date | None] = mapped_column(Date)
    confidence_score: Mapped[float | None] = mapped_column(Float)
"""


def write_models(directory: Path, module: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{module}.py").write_text(textwrap.dedent(MODELS_SOURCE), encoding="utf-8")


def import_fresh(directory: Path, module: str) -> ModuleType:
    """Import `module` from `directory` (each caller uses its own module name)."""
    sys.path.insert(0, str(directory))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(module)
    finally:
        sys.path.remove(str(directory))


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The generated models, imported once for the in-process tests."""
    directory = tmp_path_factory.mktemp("models")
    name = f"rt_models_{uuid.uuid4().hex[:8]}"
    write_models(directory, name)
    return import_fresh(directory, name)


T = TypeVar("T")


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine in a thread of its own (pytest-asyncio owns this thread's loops)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _reachable(url: str) -> str | None:
    """None when `url` answers, else why not (password masked)."""

    async def probe() -> None:
        engine = build_engine(url)
        try:
            await ensure_reachable(engine)
        finally:
            await engine.dispose()

    try:
        run_async(probe)
    except DatabaseUnreachableError as exc:
        return str(exc)
    except CONNECT_ERRORS as exc:
        return f"{mask_url(url)}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server URL (its database is only used to create and drop others)."""
    url = os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES_URL)
    problem = _reachable(url)
    if problem is not None:
        message = (
            f"PostgreSQL is not reachable ({problem}): set {POSTGRES_ENV} to a server URL "
            "such as postgresql+asyncpg://user@host:5432/test"
        )
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {message}", pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A server URL for each backend."""
    if request.param == "sqlite":
        return SQLITE_URL
    return str(request.getfixturevalue("postgres_url"))


def private_databases(url: str, *, any_process: bool = False) -> list[str]:
    """Databases created by testing_lib (by this process, or by any) on the server at `url`."""
    from sqlalchemy import text

    pattern = "%\\_rt\\_%" if any_process else f"%\\_rt\\_%\\_{os.getpid()}\\_%"

    async def query() -> list[str]:
        engine = build_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                    {"pattern": pattern},
                )
                return [str(row[0]) for row in rows]
        finally:
            await engine.dispose()

    return run_async(query)
