"""Projects and the status transitions a regulatory project may go through."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUBMITTED = "submitted"
    CLEARED = "cleared"
    ARCHIVED = "archived"


_ALLOWED = {
    ProjectStatus.DRAFT: {ProjectStatus.ACTIVE, ProjectStatus.ARCHIVED},
    ProjectStatus.ACTIVE: {ProjectStatus.SUBMITTED, ProjectStatus.ARCHIVED},
    ProjectStatus.SUBMITTED: {ProjectStatus.CLEARED, ProjectStatus.ACTIVE},
    ProjectStatus.CLEARED: {ProjectStatus.ARCHIVED},
    ProjectStatus.ARCHIVED: set(),
}

MAX_NAME_LENGTH = 120


class InvalidTransition(ValueError):
    pass


def validate_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("a project needs a name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValueError(f"a project name has at most {MAX_NAME_LENGTH} characters")
    return cleaned


@dataclass
class Project:
    name: str
    owner: str
    status: ProjectStatus = ProjectStatus.DRAFT
    product_codes: list[str] = field(default_factory=list)
    id: int | None = None

    def __post_init__(self) -> None:
        self.name = validate_name(self.name)


def can_transition(current: ProjectStatus, target: ProjectStatus) -> bool:
    return target in _ALLOWED[current]


def transition(project: Project, target: ProjectStatus) -> Project:
    if not can_transition(project.status, target):
        raise InvalidTransition(f"{project.status.value} -> {target.value} is not allowed")
    project.status = target
    return project
