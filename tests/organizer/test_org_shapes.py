"""Real-world suite shapes: what pytest collects decides, and applying loses nothing.

For each shape: the plan moves no application module; `--apply` loses no test and adds no
collection error (`pytest --collect-only -q` before and after); `--undo` restores the tree
byte for byte; the audit's "breaks collection" files are exactly the files pytest fails to
collect.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing_lib.organizer import TestFileOrganizer
from tests.organizer.conftest import MakeProject, tree_digest, tree_dirs

_ERROR = re.compile(r"^_+ ERROR collecting (\S+) _+$")


@dataclass(frozen=True)
class Collected:
    tests: Counter[str]  # node ids without their path (moves do not change them)
    errors: frozenset[str]  # files pytest failed to collect, relative to where it ran


def collect(folder: Path) -> Collected:
    """`pytest --collect-only -q` run in `folder` the way a developer would."""
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
        timeout=300,
    )
    assert completed.returncode in (0, 2, 5), completed.stdout + completed.stderr
    tests: Counter[str] = Counter()
    errors = set()
    for line in completed.stdout.splitlines():
        match = _ERROR.match(line.strip())
        if match:
            errors.add(match.group(1))
        elif "::" in line and not line.startswith(("ERROR", " ", "E ")):
            tests[line.strip().partition("::")[2]] += 1
    return Collected(tests, frozenset(errors))


@dataclass
class Shape:
    files: dict[str, str]
    application: list[str]  # modules the organizer must never move
    ini: str | None = ""
    name: str = "proj"
    also_run_in: str | None = None  # a folder developers run pytest in, checked too


SHAPES: dict[str, Shape] = {
    # (a) a test module inside the application package, and a tests package inside it
    "app_package_with_tests": Shape(
        files={
            "app/__init__.py": "",
            "app/utils.py": "def slugify(text):\n    return text.lower().replace(' ', '-')\n",
            "app/main.py": "def create_app():\n    return {'routes': ['/health']}\n",
            "app/test_utils.py": """
                from app.utils import slugify

                def test_slugify():
                    assert slugify('A B') == 'a-b'
                """,
            "app/tests/__init__.py": "",
            "app/tests/test_main.py": """
                from ..main import create_app
                from ..utils import slugify

                def test_routes():
                    assert create_app()['routes'] == ['/health']

                def test_slug():
                    assert slugify('X') == 'x'
                """,
            "tests/test_health.py": """
                from app.main import create_app

                def test_health():
                    assert '/health' in create_app()['routes']
                """,
        },
        application=["app/__init__.py", "app/utils.py", "app/main.py"],
    ),
    # (b) a test package whose __init__.py re-exports its modules
    "reexporting_test_package": Shape(
        files={
            "app/__init__.py": "",
            "app/models.py": "class Project:\n    def __init__(self, name):\n"
            "        self.name = name\n",
            "tests/__init__.py": "",
            "tests/conftest.py": """
                import pytest

                from .test_fixtures import make_project

                @pytest.fixture
                def project():
                    return make_project('conf')
                """,
            "tests/test_fixtures/__init__.py": "from .project_fixtures import *\n"
            "from .user_fixtures import *\n",
            "tests/test_fixtures/project_fixtures.py": """
                from app.models import Project

                __all__ = ['make_project']

                def make_project(name='p'):
                    return Project(name)
                """,
            "tests/test_fixtures/user_fixtures.py": """
                from . import project_fixtures
                from .constants import DEFAULT_USER

                __all__ = ['make_user']

                def make_user():
                    return {'name': DEFAULT_USER, 'project': project_fixtures.make_project()}
                """,
            "tests/test_fixtures/constants.py": "DEFAULT_USER = 'ada'\n",
            "tests/test_users.py": """
                from .test_fixtures import (
                    make_project,
                    make_user,
                )
                from tests.test_fixtures.constants import DEFAULT_USER

                def test_user(project):
                    assert make_user()['name'] == DEFAULT_USER
                    assert make_project().name == 'p' and project.name == 'conf'
                """,
            "tests/api/__init__.py": "",
            "tests/api/test_projects_api.py": """
                import sqlite3

                from ..test_fixtures import make_project
                from ..test_fixtures.user_fixtures import make_user

                def test_project():
                    assert sqlite3.connect(':memory:')
                    assert make_project('x').name == 'x' and make_user()
                """,
            "tests/api/v1/__init__.py": "",
            "tests/api/v1/test_deep.py": """
                from ...test_fixtures import make_user
                from ... import test_fixtures

                def test_deep():
                    assert make_user() == test_fixtures.make_user()
                """,
        },
        application=["app/__init__.py", "app/models.py"],
    ),
    # (c) the project folder is itself a package: pytest puts the folder above it on sys.path
    "project_is_a_package": Shape(
        name="backend",
        files={
            "__init__.py": "",
            "app/__init__.py": "",
            "app/crud.py": "def get_item(n):\n    return {'id': n}\n",
            "app/main.py": "def create_app():\n    return 'app'\n",
            "tests/__init__.py": "",
            "tests/utils.py": "def random_name():\n    return 'name'\n",
            "tests/conftest.py": """
                import pytest

                from backend.app.main import create_app

                @pytest.fixture
                def app():
                    return create_app()
                """,
            "tests/test_items.py": """
                from backend.app.crud import get_item
                from backend.tests.utils import random_name

                def test_item(app):
                    assert get_item(1)['id'] == 1 and random_name() and app == 'app'
                """,
            "tests/api/__init__.py": "",
            "tests/api/test_routes_api.py": """
                import sqlite3

                import backend.tests.utils
                from backend.app import crud

                def test_route():
                    assert sqlite3.connect(':memory:')
                    assert crud.get_item(2) and backend.tests.utils.random_name()
                """,
        },
        application=["__init__.py", "app/__init__.py", "app/crud.py", "app/main.py"],
    ),
    # (d) pytest's configuration (and rootdir) in a subfolder
    "rootdir_in_tests": Shape(
        ini=None,
        also_run_in="tests",
        files={
            "app/__init__.py": "",
            "app/core.py": "def add(a, b):\n    return a + b\n",
            "tests/pytest.ini": "[pytest]\npythonpath = ..\n",
            "tests/conftest.py": """
                import pytest

                @pytest.fixture
                def two():
                    return 2
                """,
            "tests/helpers.py": "def one():\n    return 1\n",
            "tests/test_core.py": """
                from app.core import add
                from helpers import one

                def test_add(two):
                    assert add(one(), two) == 3
                """,
            "tests/test_db_integration.py": """
                import sqlite3

                def test_db():
                    assert sqlite3.connect(':memory:')
                """,
        },
        application=["app/__init__.py", "app/core.py"],
    ),
    # (e) --import-mode=importlib: test folders are not put on sys.path
    "importlib_mode": Shape(
        ini="addopts = --import-mode=importlib\n",
        files={
            "app/__init__.py": "",
            "app/core.py": "def add(a, b):\n    return a + b\n",
            "tests/helpers.py": "def one():\n    return 1\n",
            "tests/test_core.py": """
                from app.core import add
                from tests.helpers import one

                def test_add():
                    assert add(one(), 1) == 2
                """,
            "tests/a/test_same.py": "def test_a():\n    pass\n",
            "tests/b/test_same.py": "def test_b():\n    pass\n",
            "tests/test_sibling.py": """
                import helpers

                def test_sibling():
                    assert helpers.one() == 1
                """,
        },
        application=["app/__init__.py", "app/core.py"],
    ),
    # (f) imports that fail through another module, and a name missing from a module
    "transitive_failures": Shape(
        files={
            "app/__init__.py": "",
            "app/core.py": "def add(a, b):\n    return a + b\n",
            "tests/__init__.py": "",
            "tests/broken_helpers.py": "import surely_not_installed_pkg\n\n"
            "def build():\n    return surely_not_installed_pkg.x\n",
            "tests/utils.py": "def present():\n    return 1\n",
            "tests/test_through_helper.py": """
                from tests.broken_helpers import build

                def test_build():
                    assert build()
                """,
            "tests/test_missing_name.py": """
                from tests.utils import absent_name

                def test_absent():
                    assert absent_name
                """,
            "tests/test_fine.py": """
                from contextlib import asynccontextmanager, contextmanager

                from app.core import add
                from tests.utils import present

                try:
                    import surely_not_installed_pkg  # noqa: F401
                except ImportError:
                    surely_not_installed_pkg = None

                @asynccontextmanager
                async def lifespan(app):
                    yield

                @contextmanager
                def override(app):
                    yield app

                def test_add():
                    assert add(present(), 1) == 2
                """,
            "tests/test_syntax.py": "def test_x(:\n    pass\n",
        },
        application=["app/__init__.py", "app/core.py"],
    ),
}


@pytest.mark.parametrize("shape_name", sorted(SHAPES))
def test_shape_is_organized_without_losing_a_test(
    make_project: MakeProject, shape_name: str
) -> None:
    shape = SHAPES[shape_name]
    root = make_project(shape.files, name=shape.name, ini=shape.ini)
    before = collect(root)
    inside = root / shape.also_run_in if shape.also_run_in else None
    before_inside = collect(inside) if inside else None
    digest, dirs = tree_digest(root), tree_dirs(root)
    organizer = TestFileOrganizer(root, python=sys.executable)
    organizer.create_organization_plan()
    plan = organizer.plan
    assert plan is not None

    breaking = {p.path for p in organizer.report.breaking_problems}
    assert breaking == before.errors, organizer.report.problems
    assert plan.moves, "the shape should give the organizer something to move"
    assert not set(shape.application) & set(plan.mapping()), plan.mapping()

    result = organizer.execute_reorganization(plan, apply=True)

    assert not result.rolled_back, result.message
    after = collect(root)
    assert not before.tests - after.tests, "tests lost"
    moved = plan.mapping()
    assert after.errors <= {moved.get(p, p) for p in before.errors}
    if inside is not None and before_inside is not None:
        after_inside = collect(inside)
        assert not before_inside.tests - after_inside.tests, "tests lost"
        assert len(after_inside.errors) <= len(before_inside.errors)

    undone = organizer.undo()

    assert undone.verified, undone.message
    assert tree_digest(root) == digest
    assert tree_dirs(root) == dirs
