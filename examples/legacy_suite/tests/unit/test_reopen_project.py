"""Re-opening archived projects: a feature that never shipped, prototyped by editing the table.

The test widens app.projects._ALLOWED "for this test" and never puts it back, so archived
projects stay re-openable for every test after it: test_an_archived_project_cannot_come_back
(tests/test_projects.py) and its copy fail when they run later. Kept as it is: `remediate
isolation` names both victims and this polluter.
"""

from app import projects
from app.projects import ProjectStatus, transition
from tests.helpers import make_project


def test_an_archived_project_can_be_reopened_while_the_flag_is_on():
    projects._ALLOWED[ProjectStatus.ARCHIVED] = {ProjectStatus.ACTIVE}
    project = make_project(status=ProjectStatus.ARCHIVED)
    assert transition(project, ProjectStatus.ACTIVE).status is ProjectStatus.ACTIVE
