"""Packages move whole or not at all, and imports of every form follow the modules that move."""

from __future__ import annotations

import sys

from testing_lib.organizer import OrganizationPlan, TestFileOrganizer
from testing_lib.organizer.audit import run_audit
from testing_lib.organizer.plan import create_plan
from tests.organizer.conftest import MakeProject
from tests.organizer.test_org_shapes import SHAPES, collect


def _rewrites(plan: OrganizationPlan, source: str) -> list[tuple[str, str]]:
    entry = next(e for e in plan.entries if e.source == source)
    return [(r.before, r.after) for r in entry.rewrites]


def test_a_package_whose_init_reexports_its_modules_stays_whole(
    make_project: MakeProject,
) -> None:
    shape = SHAPES["reexporting_test_package"]
    root = make_project(shape.files)

    plan = create_plan(run_audit(root))

    package = [e for e in plan.entries if e.source.startswith("tests/test_fixtures/")]
    assert len(package) == 3
    assert all(not e.moves and "moves whole or not at all" in e.reason for e in package)
    moved = plan.mapping()
    assert moved["tests/api/v1/test_deep.py"] == "tests/unit/test_deep.py"
    assert _rewrites(plan, "tests/api/v1/test_deep.py") == [
        ("from ...test_fixtures import make_user", "from ..test_fixtures import make_user"),
        ("from ... import test_fixtures", "from .. import test_fixtures"),
    ]
    assert _rewrites(plan, "tests/api/test_projects_api.py") == [
        ("from ..test_fixtures import make_project", "from ...test_fixtures import make_project"),
        (
            "from ..test_fixtures.user_fixtures import make_user",
            "from ...test_fixtures.user_fixtures import make_user",
        ),
    ]


def test_a_module_an_init_imports_stays_where_it_is(make_project: MakeProject) -> None:
    root = make_project(
        {
            "tests/__init__.py": "from tests.helpers import build\n",
            "tests/helpers.py": "def build():\n    return 1\n",
            "tests/test_build.py": "from tests import build\n\n"
            "def test_build():\n    assert build() == 1\n",
        }
    )

    plan = create_plan(run_audit(root))

    assert "tests/helpers.py" not in plan.mapping()
    assert plan.mapping() == {"tests/test_build.py": "tests/unit/test_build.py"}


def test_a_star_import_follows_the_module_it_names(make_project: MakeProject) -> None:
    root = make_project(
        {
            "tests/helpers.py": "def build():\n    return 1\n",
            "tests/test_star.py": "from tests.helpers import *\n\n"
            "def test_build():\n    assert build() == 1\n",
        }
    )
    before = collect(root)
    organizer = TestFileOrganizer(root, python=sys.executable)
    organizer.create_organization_plan()
    assert organizer.plan is not None

    assert _rewrites(organizer.plan, "tests/test_star.py") == [
        ("from tests.helpers import *", "from tests.fixtures.helpers import *")
    ]
    result = organizer.execute_reorganization(organizer.plan, apply=True)
    assert not result.rolled_back, result.message
    assert collect(root).tests == before.tests


def test_imports_by_the_root_package_name_follow_moves(make_project: MakeProject) -> None:
    shape = SHAPES["project_is_a_package"]
    root = make_project(shape.files, name=shape.name)

    plan = create_plan(run_audit(root))

    assert plan.mapping()["tests/utils.py"] == "tests/fixtures/utils.py"
    assert _rewrites(plan, "tests/test_items.py") == [
        (
            "from backend.tests.utils import random_name",
            "from backend.tests.fixtures.utils import random_name",
        )
    ]
    assert ("backend.tests.utils", "backend.tests.fixtures.utils") in _rewrites(
        plan, "tests/api/test_routes_api.py"
    )


def test_an_import_keeps_the_form_it_was_written_in(make_project: MakeProject) -> None:
    shape = SHAPES["project_is_a_package"]
    files = {
        **shape.files,
        "tests/test_short.py": "from tests.utils import random_name\n\n"
        "def test_short():\n    assert random_name()\n",
    }
    root = make_project(files, name=shape.name)

    plan = create_plan(run_audit(root))

    assert _rewrites(plan, "tests/test_short.py") == [
        ("from tests.utils import random_name", "from tests.fixtures.utils import random_name")
    ]
