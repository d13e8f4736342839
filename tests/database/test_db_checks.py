"""The phase checks "model/migration consistency" and "database isolation self-test"."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from testing_lib.checks import PHASE_CHECKS
from testing_lib.checks.db_isolation import DB_ISOLATION_CHECK, check_database_isolation
from testing_lib.checks.migration_consistency import (
    MIGRATION_CHECK,
    check_model_migration_consistency,
)
from testing_lib.config import PhaseConfig, load_target_config
from testing_lib.gate_decision import decide_gate
from testing_lib.report import CheckStatus, PhaseStatus
from testing_lib.results import TestResult, TestStatus, TestSuiteResult
from tests.conftest import MakeTarget
from tests.database.conftest import MODELS_SOURCE

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mdra_backend"

# Imported with the models by the generated self-test: replaces isolation with one shared,
# committing database, as a broken isolation layer would.
LEAKY_ISOLATION = """

from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from testing_lib.database import isolation
from testing_lib.database.engine import build_engine

_shared = {}


@asynccontextmanager
async def _leaky_session(self, test_id=None):
    if "engine" not in _shared:
        _shared["engine"] = build_engine("sqlite+aiosqlite:///:memory:")
        async with _shared["engine"].begin() as conn:
            await conn.run_sync(self.metadata.create_all)
    async with AsyncSession(_shared["engine"], expire_on_commit=False) as session:
        yield session


isolation.IsolatedDatabaseManager.isolated_session = _leaky_session
"""


def models_target(make_target: MakeTarget, *, extra: str = "", models: str = "") -> Path:
    return make_target(
        {"shop/__init__.py": "", "shop/models.py": textwrap.dedent(MODELS_SOURCE) + models},
        pyproject='[tool.remediation]\nmetadata = "shop.models:Base"\n' + extra,
        base=False,
    )


def test_the_checks_run_in_their_phases() -> None:
    assert DB_ISOLATION_CHECK in PHASE_CHECKS["foundation"]
    assert MIGRATION_CHECK in PHASE_CHECKS["core_infrastructure"]


def test_without_metadata_both_checks_warn_and_say_how_to_configure(
    make_target: MakeTarget,
) -> None:
    target = load_target_config(make_target())
    for check in (check_database_isolation, check_model_migration_consistency):
        result = check(target)
        assert result.status is CheckStatus.WARNING
        assert 'metadata = "package.module:Base"' in result.details


def test_without_alembic_configuration_the_migration_check_warns(make_target: MakeTarget) -> None:
    result = check_model_migration_consistency(load_target_config(models_target(make_target)))
    assert result.status is CheckStatus.WARNING
    assert "alembic_config" in result.details


def test_the_self_test_passes_on_the_targets_own_schema(make_target: MakeTarget) -> None:
    result = check_database_isolation(load_target_config(models_target(make_target)))
    assert result.status is CheckStatus.PASSED, result.details
    assert result.data["passed"] == 8
    assert "test_isolation_backward.py::test_second_writes[fresh]" in result.data["tests"]


def test_the_self_test_passes_against_postgresql(
    make_target: MakeTarget, postgres_url: str
) -> None:
    extra = f'[tool.remediation.testing.database]\nurl = "{postgres_url}"\n'
    result = check_database_isolation(load_target_config(models_target(make_target, extra=extra)))
    assert result.status is CheckStatus.PASSED, result.details


def test_the_self_test_fails_and_names_the_tables_when_isolation_leaks(
    make_target: MakeTarget,
) -> None:
    target = load_target_config(models_target(make_target, models=LEAKY_ISOLATION))
    result = check_database_isolation(target)
    assert result.status is CheckStatus.FAILED
    assert "rows written by an earlier test are visible" in result.details
    assert "predicate_devices" in result.details


def test_the_self_test_reports_a_metadata_path_that_does_not_import(
    make_target: MakeTarget,
) -> None:
    root = make_target(pyproject='[tool.remediation]\nmetadata = "nowhere.models:Base"\n')
    result = check_database_isolation(load_target_config(root))
    assert result.status is CheckStatus.FAILED
    assert "nowhere.models:Base" in result.details
    assert "not importable" in result.details


def example_copy(tmp_path: Path) -> Path:
    if not (EXAMPLE / "alembic.ini").is_file():
        pytest.skip("examples/mdra_backend has no alembic.ini yet")
    root = tmp_path / "mdra_backend"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if not re.search(r"^metadata\s*=", text, re.MULTILINE):
        text = text.replace(
            "[tool.remediation]\n", '[tool.remediation]\nmetadata = "mdra.models:Base"\n', 1
        )
        pyproject.write_text(text, encoding="utf-8")
    return root


def test_the_example_passes_the_migration_check(tmp_path: Path) -> None:
    result = check_model_migration_consistency(load_target_config(example_copy(tmp_path)))
    assert result.status is CheckStatus.PASSED, result.details


def test_removing_active_from_the_examples_migrations_fails_core_infrastructure(
    tmp_path: Path,
) -> None:
    root = example_copy(tmp_path)
    edited = []
    for migration in (root / "alembic" / "versions").glob("*.py"):
        text = migration.read_text(encoding="utf-8")
        without = re.sub(r"^\s*[\"']ACTIVE[\"'],\n", "", text, flags=re.MULTILINE)
        if without != text:
            migration.write_text(without, encoding="utf-8")
            edited.append(migration.name)
    assert edited, "no migration of the example lists ACTIVE"

    result = check_model_migration_consistency(load_target_config(root))
    assert result.status is CheckStatus.FAILED
    assert "enum project_status (projects.status)" in result.details
    assert "ACTIVE" in result.details

    passing = TestSuiteResult.from_results(
        "core_infrastructure",
        [TestResult(test_name="t.py::t", status=TestStatus.PASSED, execution_time_ms=1.0)],
    )
    status, reason = decide_gate("core_infrastructure", passing, PhaseConfig(), [result])
    assert status is PhaseStatus.FAILED
    assert "project_status" in reason
