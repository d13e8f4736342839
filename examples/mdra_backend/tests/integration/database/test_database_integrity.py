"""What the database itself guarantees: constraints, cascades, enum storage, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload
from testing_lib.database import TestDataFactory

from mdra.models import PredicateDevice, Project, ProjectStatus, User
from tests.fixtures.factories import create_predicate, create_project


async def _count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_foreign_keys_are_enforced_on_the_test_engine(db_session: AsyncSession) -> None:
    assert (await db_session.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1


async def test_duplicate_email_violates_the_unique_constraint(
    test_data_factory: TestDataFactory,
) -> None:
    await test_data_factory.create_user(email="dup@example.com")

    with pytest.raises(IntegrityError, match="UNIQUE"):
        await test_data_factory.create_user(email="dup@example.com")


async def test_project_needs_an_existing_owner(db_session: AsyncSession) -> None:
    db_session.add(Project(name="orphan", owner_id=999_999))

    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        await db_session.commit()


async def test_the_same_k_number_twice_in_one_project_is_refused(
    test_data_factory: TestDataFactory,
) -> None:
    project = await test_data_factory.create_project()
    await test_data_factory.create_predicate_device(project_id=project.id, k_number="K213456")

    with pytest.raises(IntegrityError, match="UNIQUE"):
        await test_data_factory.create_predicate_device(project_id=project.id, k_number="K213456")


async def test_the_same_k_number_may_be_a_predicate_of_two_projects(
    test_data_factory: TestDataFactory, db_session: AsyncSession
) -> None:
    first = await test_data_factory.create_project()
    second = await test_data_factory.create_project()

    await test_data_factory.create_predicate_device(project_id=first.id, k_number="K213456")
    await test_data_factory.create_predicate_device(project_id=second.id, k_number="K213456")

    assert await _count(db_session, PredicateDevice) == 2


async def test_deleting_a_project_row_cascades_to_its_predicates(
    db_session: AsyncSession, user: User
) -> None:
    keep = await create_project(db_session, user)
    doomed = await create_project(db_session, user)
    await create_predicate(db_session, keep)
    for _ in range(3):
        await create_predicate(db_session, doomed)

    await db_session.execute(text("DELETE FROM projects WHERE id = :id"), {"id": doomed.id})
    await db_session.commit()

    remaining = (await db_session.scalars(select(PredicateDevice.project_id))).all()
    assert remaining == [keep.id]


async def test_deleting_a_user_removes_their_projects_and_predicates(
    db_session: AsyncSession, user: User, other_user: User
) -> None:
    project = await create_project(db_session, user)
    await create_predicate(db_session, project)
    await create_project(db_session, other_user)

    await db_session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})
    await db_session.commit()

    owners = (await db_session.scalars(select(Project.owner_id))).all()
    assert owners == [other_user.id]
    assert await _count(db_session, PredicateDevice) == 0


async def test_status_is_stored_by_name(
    test_data_factory: TestDataFactory, db_session: AsyncSession
) -> None:
    project = await test_data_factory.create_project(status=ProjectStatus.IN_PROGRESS)

    raw = await db_session.scalar(
        text("SELECT status FROM projects WHERE id = :id"), {"id": project.id}
    )

    assert raw == "IN_PROGRESS"


async def test_unknown_status_values_are_refused_by_the_check_constraint(
    db_session: AsyncSession, user: User
) -> None:
    now = datetime.now(UTC).isoformat()
    with pytest.raises(IntegrityError, match="CHECK"):
        await db_session.execute(
            text(
                "INSERT INTO projects (name, status, owner_id, created_at, updated_at) "
                "VALUES ('x', 'ARCHIVED', :owner, :now, :now)"
            ),
            {"owner": user.id, "now": now},
        )


async def test_new_project_defaults_to_draft_with_utc_aware_timestamps(
    session_factory: async_sessionmaker[AsyncSession], user: User
) -> None:
    async with session_factory() as session:
        session.add(Project(name="defaults", owner_id=user.id))
        await session.commit()

    async with session_factory() as fresh:
        project = await fresh.scalar(select(Project).where(Project.name == "defaults"))

    assert project is not None
    assert project.status is ProjectStatus.DRAFT
    assert project.created_at.tzinfo is not None
    assert project.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - project.created_at).total_seconds()) < 60


async def test_updated_at_moves_forward_when_a_project_changes(
    db_session: AsyncSession, user: User
) -> None:
    project = await create_project(db_session, user)
    before = project.updated_at

    project.name = "renamed"
    await db_session.commit()

    assert project.updated_at > before
    assert project.created_at <= before


async def test_relationships_are_loaded_with_selectinload(
    session_factory: async_sessionmaker[AsyncSession], db_session: AsyncSession, user: User
) -> None:
    project = await create_project(db_session, user)
    for k in ("K100001", "K100002"):
        await create_predicate(db_session, project, k_number=k)

    async with session_factory() as fresh:
        loaded = await fresh.scalar(
            select(Project)
            .where(Project.id == project.id)
            .options(selectinload(Project.predicates), selectinload(Project.owner))
        )

    assert loaded is not None
    assert [p.k_number for p in loaded.predicates] == ["K100001", "K100002"]
    assert loaded.owner.email == user.email


async def test_touching_an_unloaded_relationship_raises_instead_of_lazy_loading(
    session_factory: async_sessionmaker[AsyncSession], db_session: AsyncSession, user: User
) -> None:
    project = await create_project(db_session, user)

    async with session_factory() as fresh:
        loaded = await fresh.get(Project, project.id)
        assert loaded is not None
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            _ = loaded.predicates
