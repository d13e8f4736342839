import pytest
from app.projects import InvalidTransition, ProjectStatus, transition
from tests.helpers import make_project


def test_new_projects_start_as_drafts():
    project = make_project()
    assert project.status is ProjectStatus.DRAFT


def test_archived_projects_stay_archived():
    project = make_project(status=ProjectStatus.ARCHIVED)
    with pytest.raises(InvalidTransition):
        transition(project, ProjectStatus.ACTIVE)
