"""The audit sees collection as pytest does: its own errors, import modes, package roots."""

from __future__ import annotations

import sys

from testing_lib.organizer.audit import run_audit
from testing_lib.organizer.models import Problem
from tests.organizer.conftest import MakeProject
from tests.organizer.test_org_shapes import SHAPES


def _breaking(problems: list[Problem]) -> dict[str, Problem]:
    return {p.path: p for p in problems if p.breaks_collection}


def test_a_failure_through_another_module_names_the_module_that_fails(
    make_project: MakeProject,
) -> None:
    shape = SHAPES["transitive_failures"]
    root = make_project(shape.files)

    problems = run_audit(root, python=sys.executable).report.problems

    breaking = _breaking(problems)
    assert sorted(breaking) == [
        "tests/test_missing_name.py",
        "tests/test_syntax.py",
        "tests/test_through_helper.py",
    ]
    through = breaking["tests/test_through_helper.py"]
    assert through.kind.value == "collection_error"
    assert "No module named 'surely_not_installed_pkg'" in through.message
    assert "raised in tests/broken_helpers.py line 1" in through.message
    missing_name = breaking["tests/test_missing_name.py"]
    assert "cannot import name 'absent_name'" in missing_name.message
    assert str(root) not in missing_name.message
    helper = next(p for p in problems if p.path == "tests/broken_helpers.py")
    assert not helper.breaks_collection  # pytest fails its importers, not the helper
    assert not [p for p in problems if p.path == "tests/test_fine.py" and p.breaks_collection]


def test_a_module_pytest_collects_is_never_reported_as_breaking(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "tests/test_guarded.py": """
                try:
                    import surely_not_installed_pkg
                except ImportError:
                    surely_not_installed_pkg = None

                def test_x():
                    assert surely_not_installed_pkg is None
                """,
        }
    )

    assert run_audit(root, python=sys.executable, observe=False).report.breaking_problems
    assert run_audit(root, python=sys.executable).report.breaking_problems == []


def test_a_project_folder_that_is_a_package_imports_by_its_own_name(
    make_project: MakeProject,
) -> None:
    shape = SHAPES["project_is_a_package"]
    root = make_project(shape.files, name=shape.name)

    audit = run_audit(root)  # static only: no interpreter, no pytest

    assert audit.report.problems == []
    assert audit.report.file("tests/test_items.py").module_name == "backend.tests.test_items"
    targets = {e.target for e in audit.edges["tests/test_items.py"]}
    assert targets == {"app/crud.py", "tests/utils.py"}
    assert run_audit(root, python=sys.executable).report.problems == []


def test_context_manager_helpers_are_not_generator_tests(make_project: MakeProject) -> None:
    root = make_project(
        {
            "tests/test_app.py": """
                from contextlib import asynccontextmanager, contextmanager

                import pytest

                @asynccontextmanager
                async def test_lifespan(app=None):
                    yield

                @contextmanager
                def test_override(app=None):
                    yield app

                @pytest.mark.slow
                def test_generator():
                    yield 1
                """,
        }
    )
    report = run_audit(root).report

    generators = [p for p in report.problems if p.kind.value == "generator_test"]
    assert [(p.line, p.breaks_collection) for p in generators] == [(14, True)]
    observed = run_audit(root, python=sys.executable).report.breaking_problems
    assert [(p.kind.value, p.line) for p in observed] == [("generator_test", 14)]


def test_importlib_mode_knows_no_basename_clash_and_no_sibling_imports(
    make_project: MakeProject,
) -> None:
    shape = SHAPES["importlib_mode"]
    root = make_project(shape.files, ini=shape.ini)

    report = run_audit(root).report  # static

    assert [(p.kind.value, p.path) for p in report.breaking_problems] == [
        ("missing_module", "tests/test_sibling.py")
    ]
    names = {f.path: f.module_name for f in report.files}
    assert names["tests/a/test_same.py"] == "tests.a.test_same"
    assert names["tests/b/test_same.py"] == "tests.b.test_same"


def test_a_conftest_that_stops_collection_is_one_breaking_problem(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "conftest.py": "import surely_not_installed_pkg\n",
            "tests/test_a.py": "def test_a():\n    pass\n",
        }
    )

    breaking = run_audit(root, python=sys.executable).report.breaking_problems

    assert [(p.kind.value, p.path) for p in breaking] == [("missing_module", "conftest.py")]
    assert "surely_not_installed_pkg" in breaking[0].message


def test_pytest_stopping_for_a_reason_nobody_guessed_is_one_breaking_problem(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "conftest.py": "raise RuntimeError('no database configured')\n",
            "tests/test_a.py": "def test_a():\n    pass\n",
        }
    )

    breaking = run_audit(root, python=sys.executable).report.breaking_problems

    assert [(p.kind.value, p.path) for p in breaking] == [("collection_error", "conftest.py")]
    assert "cannot collect the suite at all" in breaking[0].message
    assert "no database configured" in breaking[0].message
