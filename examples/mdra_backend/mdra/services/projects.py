"""Project rules: ownership, CRUD and the status workflow
DRAFT -> ACTIVE -> IN_PROGRESS -> COMPLETED.

Every query eagerly loads what the API returns (``selectinload``), so listing N projects costs
the same number of statements whatever N is, and no lazy load ever runs under asyncio.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from mdra.errors import (
    ConflictError,
    InvalidStatusTransitionError,
    NotFoundError,
    ProjectLockedError,
)
from mdra.models import PredicateDevice, Project, ProjectStatus, User
from mdra.schemas import PredicateCreate, ProjectCreate, ProjectUpdate

# Each status may move one step forward; COMPLETED is terminal.
ALLOWED_TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.DRAFT: frozenset({ProjectStatus.ACTIVE}),
    ProjectStatus.ACTIVE: frozenset({ProjectStatus.IN_PROGRESS}),
    ProjectStatus.IN_PROGRESS: frozenset({ProjectStatus.COMPLETED}),
    ProjectStatus.COMPLETED: frozenset(),
}


def can_transition(current: ProjectStatus, target: ProjectStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


def check_transition(current: ProjectStatus, target: ProjectStatus) -> None:
    if not can_transition(current, target):
        allowed = sorted(s.value for s in ALLOWED_TRANSITIONS[current]) or ["none"]
        raise InvalidStatusTransitionError(
            f"cannot move a project from {current.value} to {target.value} "
            f"(allowed: {', '.join(allowed)})"
        )


class ProjectService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _visible_to(self, user: User) -> Select[tuple[Project]]:
        query = select(Project).options(selectinload(Project.predicates))
        if not user.is_admin:
            query = query.where(Project.owner_id == user.id)
        return query

    async def create(self, owner: User, data: ProjectCreate) -> Project:
        project = Project(
            owner_id=owner.id, status=ProjectStatus.DRAFT, predicates=[], **data.model_dump()
        )
        self.session.add(project)
        await self.session.commit()
        return project

    async def get(self, project_id: int, user: User) -> Project:
        """The project if ``user`` owns it or is an admin, else ``NotFoundError`` (no leak)."""
        query = self._visible_to(user).where(Project.id == project_id)
        project = (await self.session.execute(query)).scalar_one_or_none()
        if project is None:
            raise NotFoundError(f"project {project_id} not found")
        return project

    async def list(
        self,
        user: User,
        *,
        status: ProjectStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[Project]:
        query = self._visible_to(user)
        if status is not None:
            query = query.where(Project.status == status)
        query = query.order_by(Project.id).limit(limit).offset(offset)
        return (await self.session.execute(query)).scalars().all()

    async def count(self, user: User, *, status: ProjectStatus | None = None) -> int:
        query = select(func.count(Project.id))
        if not user.is_admin:
            query = query.where(Project.owner_id == user.id)
        if status is not None:
            query = query.where(Project.status == status)
        return int((await self.session.execute(query)).scalar_one())

    async def update(self, project_id: int, user: User, data: ProjectUpdate) -> Project:
        project = await self.get(project_id, user)
        self._ensure_editable(project)
        for field, value in data.model_dump(exclude_unset=True).items():
            if field == "name" and value is None:
                continue  # name is required; an explicit null leaves it as it is
            setattr(project, field, value)
        await self.session.commit()
        return project

    async def change_status(self, project_id: int, user: User, target: ProjectStatus) -> Project:
        project = await self.get(project_id, user)
        check_transition(project.status, target)
        project.status = target
        await self.session.commit()
        return project

    async def delete(self, project_id: int, user: User) -> None:
        project = await self.get(project_id, user)
        await self.session.delete(project)
        await self.session.commit()

    async def attach_predicate(
        self, project_id: int, user: User, data: PredicateCreate
    ) -> PredicateDevice:
        project = await self.get(project_id, user)
        self._ensure_editable(project)
        if any(p.k_number == data.k_number for p in project.predicates):
            raise ConflictError(f"{data.k_number} is already attached to project {project_id}")
        predicate = PredicateDevice(**data.model_dump())
        project.predicates.append(predicate)
        try:
            await self.session.commit()
        except IntegrityError as exc:  # a concurrent request attached it first
            await self.session.rollback()
            raise ConflictError(
                f"{data.k_number} is already attached to project {project_id}"
            ) from exc
        return predicate

    @staticmethod
    def _ensure_editable(project: Project) -> None:
        if project.status is ProjectStatus.COMPLETED:
            raise ProjectLockedError(f"project {project.id} is COMPLETED and can no longer change")
