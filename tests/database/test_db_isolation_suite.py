"""200 tests that commit, in shuffled orders, never see each other's rows.

A real project is generated (the shared models, `[tool.remediation] metadata`, the plugin's
`isolated_db` and `test_data_factory` fixtures, a conftest that shuffles the tests with a
fixed seed) and run with `run_pytest` in a subprocess: on SQLite and on PostgreSQL, under
both strategies. Every test starts by asserting that all three tables are empty, commits
rows across the foreign keys, and reads back exactly its own rows; every tenth test also
breaks its transaction with an IntegrityError, and the tests after it must still be isolated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest
from tests.conftest import write_tree
from tests.database.conftest import SQLITE_URL, private_databases, write_models

pytestmark = pytest.mark.slow

TESTS = 200

CONFTEST = """
import random

SHUFFLE_SEED = {seed}


def pytest_collection_modifyitems(config, items):
    random.Random(SHUFFLE_SEED).shuffle(items)
"""

SUITE = """
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from suite_models import PredicateDevice, Project, ProjectStatus, User

HALF = __HALF__
EMPTY = {"users": 0, "projects": 0, "predicate_devices": 0}


async def counts(session):
    return {
        model.__tablename__: await session.scalar(select(func.count()).select_from(model))
        for model in (User, Project, PredicateDevice)
    }


@pytest.mark.parametrize("n", range(HALF))
async def test_factory_rows_commit_and_stay_private(n, isolated_db, test_data_factory):
    assert await counts(isolated_db) == EMPTY, "rows of another test are visible"
    user = await test_data_factory.create_user(name=f"user {n}")
    project = await test_data_factory.create_project(user.id)
    for i in range(3):
        await test_data_factory.create_predicate_device(project.id, k_number=f"K{n:03d}{i}")
    await isolated_db.commit()
    if n % 10 == 0:  # break the transaction: a duplicate (project_id, k_number)
        isolated_db.add(
            PredicateDevice(project_id=project.id, k_number=f"K{n:03d}0", device_name="dup")
        )
        with pytest.raises(IntegrityError):
            await isolated_db.commit()
        await isolated_db.rollback()
    assert (await isolated_db.scalars(select(User.name))).all() == [f"user {n}"]
    assert await counts(isolated_db) == {"users": 1, "projects": 1, "predicate_devices": 3}


@pytest.mark.parametrize("n", range(HALF))
async def test_application_style_commits_stay_private(n, isolated_db):
    assert await counts(isolated_db) == EMPTY, "rows of another test are visible"
    user = User(google_id=f"g-{n}", email=f"u{n}@example.com", name=f"app user {n}")
    isolated_db.add(user)
    await isolated_db.commit()
    project = Project(user_id=user.id, name=f"project {n}", status=ProjectStatus.ACTIVE)
    isolated_db.add(project)
    await isolated_db.commit()
    project.status = ProjectStatus.COMPLETED
    isolated_db.add(PredicateDevice(project_id=project.id, k_number="K1", device_name="d"))
    await isolated_db.commit()
    rows = (await isolated_db.execute(select(User.email, Project.status).join(Project))).all()
    assert rows == [(f"u{n}@example.com", ProjectStatus.COMPLETED)]
    assert await counts(isolated_db) == {"users": 1, "projects": 1, "predicate_devices": 1}
"""


def generate_suite(root: Path, *, url: str, strategy: str, seed: int, tests: int) -> None:
    write_models(root, "suite_models")
    write_tree(
        root,
        {
            "pyproject.toml": "\n".join(
                [
                    "[tool.pytest.ini_options]",
                    'asyncio_mode = "auto"',
                    'asyncio_default_fixture_loop_scope = "function"',
                    'pythonpath = ["."]',
                    'filterwarnings = ["error"]',
                    "[tool.remediation]",
                    'metadata = "suite_models:Base"',
                    "[tool.remediation.testing.database]",
                    f"url = {json.dumps(url)}",
                    f'strategy = "{strategy}"',
                    "",
                ]
            ),
            "conftest.py": CONFTEST.format(seed=seed),
            "test_commits.py": SUITE.replace("__HALF__", str(tests // 2)),
        },
    )


def run_suite(root: Path, *, url: str, strategy: str, seed: int, tests: int = TESTS) -> list[str]:
    """Run the generated suite; return the test ids in the order they ran."""
    generate_suite(root, url=url, strategy=strategy, seed=seed, tests=tests)
    suite = run_pytest(cwd=root, selection=[], suite_name=f"{strategy}-{seed}", timeout_s=240)
    failures = [(r.test_name, r.error_message) for r in suite.failures()]
    assert not suite.collection_errors, suite.collection_errors
    assert not failures, failures[:3]
    assert suite.passed_tests == tests, suite.stderr_tail
    order = [r.test_name for r in suite.results if r.status is TestStatus.PASSED]
    assert order != sorted(order), "the suite ran in collection order, not shuffled"
    return order


@pytest.mark.parametrize(("strategy", "seed"), [("transaction", 1), ("fresh", 2)])
def test_200_committing_tests_in_shuffled_order_never_see_each_others_rows_on_sqlite(
    tmp_path: Path, strategy: str, seed: int
) -> None:
    run_suite(tmp_path, url=SQLITE_URL, strategy=strategy, seed=seed)


# `fresh` on PostgreSQL creates and drops a database per test (≈0.1 s each here): 40 tests.
@pytest.mark.parametrize(
    ("strategy", "seed", "tests"), [("transaction", 3, TESTS), ("fresh", 4, 40)]
)
def test_committing_tests_in_shuffled_order_never_see_each_others_rows_on_postgresql(
    tmp_path: Path, postgres_url: str, strategy: str, seed: int, tests: int
) -> None:
    before = set(private_databases(postgres_url, any_process=True))
    run_suite(tmp_path, url=postgres_url, strategy=strategy, seed=seed, tests=tests)
    left = set(private_databases(postgres_url, any_process=True)) - before
    assert not left, f"the suite left databases behind: {sorted(left)}"
