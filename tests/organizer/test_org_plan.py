"""The organization plan: layout, conflicts, conftests that must follow, imports, scripts."""

from __future__ import annotations

from pathlib import Path

from testing_lib.organizer import OrganizationPlan, PlanEntry
from testing_lib.organizer.audit import run_audit
from testing_lib.organizer.plan import create_plan
from tests.organizer.conftest import MakeProject

APP = {
    "app/__init__.py": "",
    "app/db.py": "import sqlite3\n\ndef connect():\n    return sqlite3.connect(':memory:')\n",
    "app/auth.py": "def token(user):\n    return user[::-1]\n",
}


def _plan(root: Path) -> OrganizationPlan:
    return create_plan(run_audit(root))


def _entry(plan: OrganizationPlan, source: str) -> PlanEntry:
    return next(e for e in plan.entries if e.source == source)


def _moves(plan: OrganizationPlan) -> dict[str, tuple[str, str]]:
    return {e.source: (e.action, e.destination) for e in plan.entries if e.moves}


def test_files_go_to_their_category_and_area(make_project: MakeProject) -> None:
    root = make_project(
        {
            **APP,
            "test_auth_tokens.py": "from app.auth import token\n\n"
            "def test_token():\n    assert token('ab') == 'ba'\n",
            "tests/test_db_integration.py": "import sqlite3\nfrom app.db import connect\n\n"
            "def test_connects():\n    assert isinstance(connect(), sqlite3.Connection)\n",
            "tests/test_search_benchmark.py": "import time\n\n"
            "def test_fast():\n    started = time.perf_counter()\n    assert started\n",
            "tests/unit/core/test_ok.py": "def test_ok():\n    assert True\n",
        }
    )
    plan = _plan(root)

    assert _moves(plan) == {
        "test_auth_tokens.py": ("move", "tests/unit/auth/test_auth_tokens.py"),
        "tests/test_db_integration.py": (
            "move",
            "tests/integration/database/test_db_integration.py",
        ),
        "tests/test_search_benchmark.py": ("move", "tests/performance/test_search_benchmark.py"),
    }
    assert _entry(plan, "tests/unit/core/test_ok.py").action == "keep"
    assert "imports sqlite3" in _entry(plan, "tests/test_db_integration.py").reason


def test_two_files_wanting_one_place_are_resolved_deterministically(
    make_project: MakeProject,
) -> None:
    files = {
        **APP,
        "tests/api/test_tokens.py": "from app.auth import token\n\ndef test_a():\n    pass\n",
        "tests/old/test_tokens.py": "from app.auth import token\n\ndef test_b():\n    pass\n",
    }
    root = make_project(files)
    plan = _plan(root)
    again = _plan(root)

    assert _moves(plan) == {
        "tests/api/test_tokens.py": ("move", "tests/unit/auth/test_tokens.py"),
        "tests/old/test_tokens.py": ("move", "tests/unit/auth/test_auth_tokens.py"),
    }
    (conflict,) = plan.conflicts
    assert conflict.destination == "tests/unit/auth/test_tokens.py"
    assert set(conflict.sources) == {"tests/api/test_tokens.py", "tests/old/test_tokens.py"}
    assert "becomes tests/unit/auth/test_auth_tokens.py" in conflict.resolution
    assert [e.model_dump(exclude={"sha256"}) for e in again.entries] == [
        e.model_dump(exclude={"sha256"}) for e in plan.entries
    ]


def test_an_existing_file_is_never_a_destination(make_project: MakeProject) -> None:
    root = make_project(
        {
            **APP,
            "tests/test_tokens.py": "from app.auth import token\n\ndef test_a():\n    pass\n",
            "tests/unit/auth/test_tokens.txt": "not python, but in the way of nothing\n",
            "tests/unit/auth/test_tokens.py/README": "a folder named like the file\n",
        }
    )
    plan = _plan(root)

    assert _entry(plan, "tests/test_tokens.py").destination == (
        "tests/unit/auth/test_auth_tokens.py"
    )


def test_a_conftest_is_lifted_so_its_fixtures_follow_a_moved_test(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            **APP,
            "tests/unit/conftest.py": "import pytest\nfrom app.db import connect\n\n"
            "@pytest.fixture\ndef db():\n    return connect()\n",
            "tests/unit/test_flow_integration.py": "def test_flow(db):\n    assert db\n",
        }
    )
    plan = _plan(root)

    assert _entry(plan, "tests/unit/conftest.py").action == "lift_conftest"
    assert _entry(plan, "tests/unit/conftest.py").destination == "tests/conftest.py"
    assert _entry(plan, "tests/unit/test_flow_integration.py").destination == (
        "tests/integration/database/test_flow_integration.py"
    )


def test_a_test_stays_when_its_conftest_cannot_follow(make_project: MakeProject) -> None:
    root = make_project(
        {
            **APP,
            "tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef other():\n    return 1\n",
            "tests/unit/conftest.py": "import pytest\nfrom app.db import connect\n\n"
            "@pytest.fixture(autouse=True)\ndef reset():\n    yield\n\n"
            "@pytest.fixture\ndef db():\n    return connect()\n",
            "tests/unit/test_flow_integration.py": "def test_flow(db):\n    assert db\n",
        }
    )
    plan = _plan(root)
    entry = _entry(plan, "tests/unit/test_flow_integration.py")

    assert entry.action == "keep"
    assert "would lose fixture(s)" in entry.reason
    assert "tests/unit/conftest.py" in entry.reason
    assert _entry(plan, "tests/unit/conftest.py").action == "keep"


def test_imports_of_moved_modules_are_rewritten(make_project: MakeProject) -> None:
    root = make_project(
        {
            **APP,
            "tests/helpers.py": "def build():\n    return 1\n",
            "tests/test_uses_package_path.py": "from tests.helpers import build\n\n"
            "def test_a():\n    assert build() == 1\n",
            "tests/test_uses_sibling.py": "import helpers\n\n"
            "def test_b():\n    assert helpers.build() == 1\n",
            "tests/services/test_relative.py": "from ..helpers import build\n\n"
            "def test_c():\n    assert build() == 1\n",
        },
        ini="pythonpath = .\n",
    )
    plan = _plan(root)

    assert _entry(plan, "tests/helpers.py").destination == "tests/fixtures/helpers.py"
    rewrites = {
        e.source: [(r.before, r.after) for r in e.rewrites] for e in plan.entries if e.rewrites
    }
    assert rewrites == {
        "tests/test_uses_package_path.py": [
            ("from tests.helpers import build", "from tests.fixtures.helpers import build")
        ],
        "tests/test_uses_sibling.py": [
            ("import helpers", "import tests.fixtures.helpers as helpers")
        ],
        "tests/services/test_relative.py": [
            ("from ..helpers import build", "from tests.fixtures.helpers import build")
        ],
    }


def test_copies_are_quarantined_and_scripts_leave_the_tests(make_project: MakeProject) -> None:
    body = "def test_a():\n    value = compute(1, 2)\n    assert value == 3\n"
    root = make_project(
        {
            "tests/test_calc.py": body,
            "tests/test_calc_copy.py": body,
            "tests/test_seed.py": "import sys\n\nif __name__ == '__main__':\n    sys.exit(0)\n",
        }
    )
    moves = _moves(_plan(root))

    assert moves["tests/test_calc_copy.py"] == (
        "quarantine",
        "tests/quarantine/test_calc_copy.py",
    )
    assert moves["tests/test_seed.py"] == ("move", "scripts/seed.py")
    assert "tests/test_calc.py" in moves  # the original moves to the layout, not away


def test_application_code_beside_a_test_module_is_never_moved(make_project: MakeProject) -> None:
    root = make_project(
        {
            "database/__init__.py": "",
            "database/config.py": "URL = 'sqlite://'\n",
            "database/connection.py": "from database.config import URL\n\ndef url():\n"
            "    return URL\n",
            "database/seeder.py": "if __name__ == '__main__':\n    print('seeding')\n",
            "database/test_connection.py": "from database.connection import url\n\n"
            "def test_url():\n    assert url() == 'sqlite://'\n",
            "database/test_arithmetic.py": "def test_sum():\n    assert 1 + 1 == 2\n",
            "main.py": "from database.connection import url\n",
            "tests/unit/test_ok.py": "def test_ok():\n    assert True\n",
        }
    )
    plan = _plan(root)

    moved = _moves(plan)
    assert set(moved) == {"database/test_arithmetic.py"}  # only a test that can move
    assert "could not import it" in _entry(plan, "database/test_connection.py").reason
    for kept in ("database/config.py", "database/connection.py", "database/seeder.py"):
        entry = _entry(plan, kept)
        assert entry.action == "keep"
        assert "the organizer moves only tests" in entry.reason
