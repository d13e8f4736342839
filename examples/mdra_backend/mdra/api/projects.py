from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from mdra.database import get_session
from mdra.models import Project, ProjectStatus
from mdra.schemas import ProjectCreate, ProjectRead, ProjectUpdate, StatusChange
from mdra.security import CurrentUser
from mdra.services.projects import ProjectService

router = APIRouter(prefix="/projects", tags=["projects"])


def get_project_service(session: Annotated[AsyncSession, Depends(get_session)]) -> ProjectService:
    return ProjectService(session)


Service = Annotated[ProjectService, Depends(get_project_service)]


@router.post("", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
async def create_project(data: ProjectCreate, user: CurrentUser, service: Service) -> Project:
    return await service.create(user, data)


@router.get("", response_model=list[ProjectRead])
async def list_projects(
    user: CurrentUser,
    service: Service,
    response: Response,
    status_filter: Annotated[ProjectStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Sequence[Project]:
    """The caller's projects (every project for admins); ``X-Total-Count`` gives the total."""
    response.headers["X-Total-Count"] = str(await service.count(user, status=status_filter))
    return await service.list(user, status=status_filter, limit=limit, offset=offset)


@router.get("/{project_id}", response_model=ProjectRead)
async def get_project(project_id: int, user: CurrentUser, service: Service) -> Project:
    return await service.get(project_id, user)


@router.patch("/{project_id}", response_model=ProjectRead)
async def update_project(
    project_id: int, data: ProjectUpdate, user: CurrentUser, service: Service
) -> Project:
    return await service.update(project_id, user, data)


@router.post("/{project_id}/status", response_model=ProjectRead)
async def change_project_status(
    project_id: int, data: StatusChange, user: CurrentUser, service: Service
) -> Project:
    return await service.change_status(project_id, user, data.status)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(project_id: int, user: CurrentUser, service: Service) -> Response:
    await service.delete(project_id, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
