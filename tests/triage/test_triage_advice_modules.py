"""Advice for `No module named ...`: the project's own module that moved, or a third-party
distribution that is declared (install it) or not (declare it), on small generated projects."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from testing_lib.results import CollectionError, TestSuiteResult
from testing_lib.triage import TargetFacts, target_facts, triage
from testing_lib.triage.project_modules import imported_names, project_modules
from tests.conftest import write_tree

PYTHON = sys.executable
# after a reorganization: the helpers and the auth tests live deeper than before
REORGANIZED = {
    "pytest.ini": "[pytest]\n",
    "app/__init__.py": "",
    "app/main.py": "",
    "tests/__init__.py": "",
    "tests/utils/__init__.py": "",
    "tests/utils/testing_framework/__init__.py": "",
    "tests/utils/testing_framework/helpers.py": "",
    "tests/integration/__init__.py": "",
    "tests/integration/api/__init__.py": "",
    "tests/integration/api/test_auth_endpoints.py": "",
}


def collection_error(module: str, statement: str, missing: str) -> CollectionError:
    """What pytest reports for a test module whose import fails."""
    return CollectionError(
        nodeid=module,
        message=f"ImportError while importing test module '/p/{module}'.\n"
        "Hint: make sure your test modules/packages have valid Python names.\nTraceback:\n"
        "/usr/lib/python3.11/importlib/__init__.py:126: in import_module\n"
        "    return _bootstrap._gcd_import(name[level:], package, level)\n"
        f"{module}:1: in <module>\n    {statement}\n"
        f"E   ModuleNotFoundError: No module named '{missing}'",
    )


def advice(facts: TargetFacts, statement: str, missing: str) -> str:
    """The remediation of the one group a test module failing on `statement` makes."""
    error = collection_error("tests/test_users.py", statement, missing)
    suite = TestSuiteResult.from_results("unit", [], collection_errors=[error])
    (group,) = triage(suite, facts=facts).groups
    assert (group.kind, group.key) == ("missing_module", missing)
    return group.remediation


@pytest.fixture
def reorganized(tmp_path: Path) -> TargetFacts:
    write_tree(tmp_path, REORGANIZED)
    return target_facts(tmp_path, PYTHON)


def test_a_moved_test_module_is_found_by_its_own_name(reorganized: TargetFacts) -> None:
    text = advice(
        reorganized,
        "from tests.test_auth_endpoints import login",
        "tests.test_auth_endpoints",
    )

    assert text == (
        "the project's own module `tests.test_auth_endpoints` moved: now at "
        "tests/integration/api/test_auth_endpoints.py; update the import"
    )


def test_a_moved_package_is_found_from_the_names_the_import_asked_for(
    reorganized: TargetFacts,
) -> None:
    text = advice(reorganized, "from testing.framework.helpers import make_user", "testing")

    assert text == (
        "the project's own module `testing.framework.helpers` moved: now at "
        "tests/utils/testing_framework/helpers.py; update the import"
    )


def test_a_missing_top_level_name_is_found_as_a_folder_anywhere(tmp_path: Path) -> None:
    write_tree(tmp_path, {**REORGANIZED, "tests/utils/testing/factories.py": ""})

    text = advice(target_facts(tmp_path, PYTHON), "import testing", "testing")

    assert text == (
        "the project's own module `testing` moved: now at tests/utils/testing/; update the import"
    )


def test_several_candidates_are_listed_up_to_three(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **REORGANIZED,
            **{f"tests/{area}/factories.py": "" for area in ("api", "auth", "db", "services")},
        },
    )

    text = advice(target_facts(tmp_path, PYTHON), "from factories import user", "factories")

    assert text == (
        "the project's own module `factories` moved: 4 candidates, tests/api/factories.py, "
        "tests/auth/factories.py, tests/db/factories.py (and 1 more); update the import to "
        "the one meant"
    )


def test_a_module_of_the_projects_own_package_that_is_nowhere_was_removed(
    reorganized: TargetFacts,
) -> None:
    text = advice(reorganized, "from tests.test_legacy import client", "tests.test_legacy")

    assert text.startswith("`tests` is the project's own package, and no module `test_legacy`")


def test_an_own_package_where_its_name_says_is_off_the_import_path(
    reorganized: TargetFacts,
) -> None:
    text = advice(reorganized, "from app.main import app", "app")

    assert text == (
        "the project's own module is at app/ but not on the test run's import path: set "
        f"`pythonpath` in pytest.ini [pytest] to its folder, or install the project "
        f"(`{PYTHON} -m pip install -e .`)"
    )


@pytest.mark.parametrize(
    ("files", "missing", "declared"),
    [
        (
            {
                "pyproject.toml": '[project]\nname = "api"\n'
                'dependencies = ["python-jose[cryptography]>=3.3"]\n'
            },
            "jose",
            "`jose` (distribution `python-jose`) is declared in pyproject.toml [project] "
            f"dependencies but not installed in {PYTHON}: install the project's dependencies "
            f"(`{PYTHON} -m pip install -e .`)",
        ),
        (
            {"requirements.txt": "fastapi\nPyYAML==6.0.1 ; python_version >= '3.8'\n"},
            "yaml",
            f"`yaml` (distribution `PyYAML`) is declared in requirements.txt but not installed in "
            f"{PYTHON}: install the project's dependencies (`{PYTHON} -m pip install -r "
            "requirements.txt`)",
        ),
        (
            {
                "pyproject.toml": "[dependency-groups]\n"
                'test = ["fakeredis", {include-group = "x"}]\n'
            },
            "fakeredis",
            "`fakeredis` (distribution `fakeredis`) is declared in pyproject.toml "
            f"[dependency-groups] test but not installed in {PYTHON}: install the project's "
            f"dependencies (`{PYTHON} -m pip install --group test (pip 25.1 or newer)`)",
        ),
    ],
)
def test_a_declared_third_party_module_that_is_missing_is_to_be_installed(
    tmp_path: Path, files: dict[str, str], missing: str, declared: str
) -> None:
    write_tree(tmp_path, files)

    assert advice(target_facts(tmp_path, PYTHON), f"import {missing}", missing) == declared


def test_a_declared_distribution_wins_over_a_project_module_of_that_name(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "redis>=5\n", "app/cache/redis.py": ""})

    text = advice(target_facts(tmp_path, PYTHON), "import redis", "redis")

    assert text.startswith("`redis` (distribution `redis`) is declared in requirements.txt")


def test_an_undeclared_third_party_module_is_to_be_added_to_the_dependencies(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": "fastapi\n",
            "requirements-dev.txt": "-r requirements.txt\npytest\n",
            "tests/test_users.py": "",
        },
    )

    text = advice(target_facts(tmp_path, PYTHON), "import yaml", "yaml")

    assert text == (
        f"`yaml` is not installed in {PYTHON} and not declared in the project's dependencies: "
        "add `PyYAML` to requirements-dev.txt (the distribution that provides `yaml`) and "
        'install it, or skip the module with `pytest.importorskip("yaml")` when it is optional'
    )


def test_a_missing_submodule_of_an_installed_package_is_a_version_mismatch(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path, {"pyproject.toml": '[project]\nname = "api"\ndependencies = ["pydantic>=2"]\n'}
    )

    text = advice(target_facts(tmp_path, PYTHON), "from pydantic.v3 import X", "pydantic.v3")

    assert text == (
        f"`pydantic` is installed in {PYTHON} but has no module `pydantic.v3`: the installed "
        "version is not the one the code expects; pin the version that has it in "
        "pyproject.toml [project] dependencies"
    )


def test_the_module_index_leaves_out_environments_caches_and_hidden_folders(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": "",
            "app/__init__.py": "",
            "env/pyvenv.cfg": "",
            "env/lib/site.py": "",
            ".venv/lib/x.py": "",
            "app/__pycache__/main.py": "",
            "node_modules/x/y.py": "",
            "api.egg-info/z.py": "",
            "README.md": "",
        },
    )

    assert project_modules(tmp_path) == ("app/", "app/main.py")


def test_imported_names_come_from_the_traceback_deepest_first() -> None:
    traceback = (
        "tests/test_a.py:1: in <module>\n    import helpers.db as hdb, other\n"
        "tests/helpers/db.py:3: in <module>\n"
        ">   from helpers.db.engine import (make_engine, Engine as E)\n"
        "E   ModuleNotFoundError: No module named 'helpers.db'"
    )

    assert imported_names(traceback, "helpers.db") == [
        "helpers.db.engine.make_engine",
        "helpers.db.engine.Engine",
        "helpers.db.engine",
        "helpers.db",
    ]


def test_an_own_module_where_its_name_says_yet_not_found_is_shadowed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tests/__init__.py": "", "tests/test_auth.py": ""})

    text = advice(
        target_facts(tmp_path, PYTHON), "from tests.test_auth import x", "tests.test_auth"
    )

    assert text.startswith(
        "the project's own module is at tests/test_auth.py, yet the run imports another `tests`"
    )
