"""TestDataFactory: named helpers on any schema, create() for any model, seeds, cleanup."""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from testing_lib.database.engine import build_engine
from testing_lib.database.factory import TestDataFactory, derive_seed
from testing_lib.database.isolation import IsolatedDatabaseManager
from testing_lib.database.metadata import catalog_from
from testing_lib.database.migrations import scratch_database
from testing_lib.error_recovery import CleanupError
from tests.database.conftest import SQLITE_URL


# A schema shaped like the example backend's, not like the named helpers assume: other names, the
# foreign key named owner_id, a timezone-aware datetime without a default, an enum of names.
class OtherBase(DeclarativeBase):
    pass


class Status(enum.StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"


class OtherUser(OtherBase):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    hashed_password: Mapped[str] = mapped_column(String(255))
    last_login: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OtherProject(OtherBase):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[Status] = mapped_column(
        Enum(Status, name="st", native_enum=False, create_constraint=True), default=Status.DRAFT
    )


class OtherDevice(OtherBase):
    __tablename__ = "predicate_devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    k_number: Mapped[str] = mapped_column(String(20))
    product_code: Mapped[str] = mapped_column(String(10))


# Any model: a UUID key, a chain of two required foreign keys, a string-only enum, JSON.
class ShopBase(DeclarativeBase):
    pass


class Customer(ShopBase):
    __tablename__ = "customers"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Order(ShopBase):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(
        Enum("web", "phone", name="channel", create_constraint=True, native_enum=False)
    )


class Invoice(ShopBase):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    lines: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(30))


@asynccontextmanager
async def isolated(base: Any, url: str = SQLITE_URL) -> AsyncIterator[AsyncSession]:
    manager = IsolatedDatabaseManager(url, metadata=base.metadata)
    try:
        async with manager.isolated_session() as session:
            yield session
    finally:
        await manager.dispose()


@pytest_asyncio.fixture
async def session(models: ModuleType, database_url: str) -> AsyncIterator[AsyncSession]:
    async with isolated(models.Base, database_url) as s:
        yield s


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.asyncio
async def test_the_seed_helpers_build_a_user_project_and_device_with_defaults(
    models: ModuleType, session: AsyncSession
) -> None:
    factory = TestDataFactory(session, models.Base, seed=7)
    user = await factory.create_user()
    project = await factory.create_project(user.id)
    device = await factory.create_predicate_device(project.id)
    assert user.name == "Test User"
    assert user.email.endswith("@example.com")
    assert project.user_id == user.id
    assert project.status is models.ProjectStatus.DRAFT
    assert device.project_id == project.id
    assert device.device_name == "Test Predicate Device"
    assert device.k_number.startswith("K")
    assert device.confidence_score == 0.85
    assert factory.created_entities == [
        ("users", (user.id,)),
        ("projects", (project.id,)),
        ("predicate_devices", (device.id,)),
    ]


@pytest.mark.asyncio
async def test_overrides_win_and_parents_are_created_when_not_given(
    models: ModuleType, session: AsyncSession
) -> None:
    factory = TestDataFactory(session, models.Base, seed=8)
    device = await factory.create_predicate_device(k_number="K123456", device_name="Pump")
    assert (device.k_number, device.device_name) == ("K123456", "Pump")
    assert await count(session, models.Project) == 1
    assert await count(session, models.User) == 1
    project = await factory.create_project(status=models.ProjectStatus.ACTIVE, name="Named")
    assert (project.status, project.name) == (models.ProjectStatus.ACTIVE, "Named")


@pytest.mark.asyncio
async def test_the_seed_helpers_work_on_a_schema_with_other_column_names() -> None:
    async with isolated(OtherBase) as session:
        factory = TestDataFactory(session, OtherBase, seed=9)
        user = await factory.create_user(full_name="Reg Specialist")
        project = await factory.create_project(user.id)
        device = await factory.create_predicate_device(project.id)
        assert user.full_name == "Reg Specialist"
        assert user.hashed_password
        assert user.last_login.tzinfo is not None
        assert project.owner_id == user.id
        assert project.status is Status.DRAFT
        assert device.project_id == project.id
        assert device.product_code == "ABC"


@pytest.mark.asyncio
async def test_create_builds_any_mapped_class_with_its_foreign_key_chain() -> None:
    async with isolated(ShopBase) as session:
        factory = TestDataFactory(session, ShopBase, seed=10)
        invoice = await factory.create(Invoice)
        order = await session.get(Order, invoice.order_id)
        assert order is not None
        assert order.channel in ("web", "phone")
        assert await session.get(Customer, order.customer_id) is not None
        assert isinstance(invoice.lines, dict)
        customer = await factory.create(Customer, name="given")
        second = await factory.create(Order, customer_id=customer.id)
        assert second.customer_id == customer.id
        assert await count(session, Customer) == 2


@pytest.mark.asyncio
async def test_the_same_seed_builds_the_same_rows_and_another_seed_does_not() -> None:
    def values(row: Any) -> tuple[Any, ...]:
        return (row.email, row.full_name, row.hashed_password, row.last_login)

    built = []
    for seed in (11, 11, 12):
        async with isolated(OtherBase) as session:
            built.append(values(await TestDataFactory(session, OtherBase, seed=seed).create_user()))
    assert built[0] == built[1]
    assert built[0] != built[2]


def test_a_test_seed_depends_on_the_session_seed_and_the_test_id_only() -> None:
    assert derive_seed(1, "t.py::a") == derive_seed(1, "t.py::a")
    assert len({derive_seed(1, "t.py::a"), derive_seed(2, "t.py::a"), derive_seed(1, "b")}) == 3


@pytest.mark.asyncio
async def test_the_factory_flushes_and_never_commits(models: ModuleType, tmp_path: Any) -> None:
    engine = build_engine(f"sqlite+aiosqlite:///{tmp_path / 'flush.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
    async with AsyncSession(engine) as session:
        user = await TestDataFactory(session, models.Base).create_user()
        assert user.id is not None  # flushed: the database numbered it
        await session.rollback()
        assert await count(session, models.User) == 0
    await engine.dispose()


@pytest.mark.asyncio
async def test_cleanup_all_deletes_committed_rows_outside_an_isolated_session(
    models: ModuleType, database_url: str
) -> None:
    like = (
        f"sqlite+aiosqlite:///{uuid.uuid4().hex}.db" if "sqlite" in database_url else database_url
    )
    async with scratch_database(like) as url:
        engine = build_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(models.Base.metadata.create_all)
            async with AsyncSession(engine, expire_on_commit=False) as session:
                factory = TestDataFactory(session, models.Base)
                project = await factory.create_project()
                await factory.create_predicate_device(project.id)
                await factory.create_predicate_device(project.id)
                await session.commit()
                await factory.cleanup_all()
            async with AsyncSession(engine) as fresh:  # a new connection sees the result
                for model in (models.User, models.Project, models.PredicateDevice):
                    assert await count(fresh, model) == 0
        finally:
            await engine.dispose()


@pytest.mark.asyncio
async def test_cleanup_all_reports_rows_it_could_not_delete(tmp_path: Any) -> None:
    engine = build_engine(f"sqlite+aiosqlite:///{tmp_path / 'cleanup.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(OtherBase.metadata.create_all)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        factory = TestDataFactory(session, OtherBase)
        user = await factory.create_user()
        # a row the factory did not create points at the user (no ON DELETE CASCADE)
        session.add(OtherProject(name="kept", owner_id=user.id))
        await session.commit()
        with pytest.raises(CleanupError, match=rf"users \({user.id},\)"):
            await factory.cleanup_all()
        assert await count(session, OtherUser) == 1  # nothing half-deleted, session usable
    await engine.dispose()


@pytest.mark.asyncio
async def test_a_bare_metadata_is_automapped_so_the_helpers_still_work() -> None:
    metadata = MetaData()
    Table("users", metadata, Column("id", Integer, primary_key=True), Column("name", String(50)))
    Table(
        "projects",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("user_id", ForeignKey("users.id"), nullable=False),
        Column("name", String(80), nullable=False),
    )
    catalog = catalog_from(metadata, source="tests:metadata")
    manager = IsolatedDatabaseManager(SQLITE_URL, metadata=metadata)
    try:
        async with manager.isolated_session() as session:
            project = await TestDataFactory(session, catalog).create_project()
            assert project.name.startswith("Test Project")
            assert project.user_id is not None
    finally:
        await manager.dispose()


@pytest.mark.asyncio
async def test_a_missing_model_names_the_classes_there_are() -> None:
    async with isolated(ShopBase) as session:
        with pytest.raises(LookupError, match=r"maps no class User.*Customer, Invoice, Order"):
            await TestDataFactory(session, ShopBase).create_user()
