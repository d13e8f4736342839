import pytest
from app.projects import InvalidTransition, ProjectStatus, can_transition, transition
from tests.helpers import make_project


def test_a_new_project_is_a_draft():
    project = make_project()
    assert project.status is ProjectStatus.DRAFT


def test_a_project_name_is_normalized():
    project = make_project(name="  Balloon   catheter ")
    assert project.name == "Balloon catheter"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (ProjectStatus.DRAFT, ProjectStatus.ACTIVE),
        (ProjectStatus.ACTIVE, ProjectStatus.SUBMITTED),
        (ProjectStatus.SUBMITTED, ProjectStatus.CLEARED),
        (ProjectStatus.CLEARED, ProjectStatus.ARCHIVED),
    ],
)
def test_allowed_transitions(current, target):
    assert can_transition(current, target)


def test_an_archived_project_cannot_come_back():
    project = make_project(status=ProjectStatus.ARCHIVED)
    with pytest.raises(InvalidTransition):
        transition(project, ProjectStatus.ACTIVE)


def test_a_cleared_project_cannot_be_submitted_again():
    project = make_project(status=ProjectStatus.CLEARED)
    with pytest.raises(InvalidTransition):
        transition(project, ProjectStatus.SUBMITTED)
