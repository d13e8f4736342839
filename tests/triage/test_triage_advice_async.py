"""Advice for `async def` tests no plugin ran, fitted to what the target has.

What is installed is asked of the target's interpreter: the engine's own venv python has
pytest-asyncio (and anyio's plugin); a venv made here has neither. Other combinations are
given as a `TargetFacts` built directly.
"""

from __future__ import annotations

import importlib.metadata
import sys
import venv
from pathlib import Path

import pytest

from testing_lib.results import TestResult, TestStatus, TestSuiteResult
from testing_lib.triage import TargetFacts, target_facts, triage
from testing_lib.triage.declared_dependencies import DeclaredDependencies, DependencySource
from testing_lib.triage.facts import PytestConfigFile, TargetPlugins
from tests.conftest import write_tree

UNSUPPORTED = "Failed: async def functions are not natively supported."
PYTEST_ASYNCIO = f"pytest-asyncio {importlib.metadata.version('pytest-asyncio')}"
TARGET_PYTHON = "/srv/backend/.venv/bin/python"


def advice(facts: TargetFacts | None, message: str = UNSUPPORTED) -> str:
    """The remediation of the one group a failing async test makes."""
    result = TestResult(
        test_name="tests/test_users.py::test_create_user",
        status=TestStatus.FAILED,
        execution_time_ms=1,
        error_message=message,
    )
    (group,) = triage(TestSuiteResult.from_results("unit", [result]), facts=facts).groups
    assert group.kind == "async_without_plugin"
    return group.remediation


@pytest.fixture
def no_env_addopts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's test session turns anyio off for the runs it starts; targets don't."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


@pytest.mark.usefixtures("no_env_addopts")
@pytest.mark.parametrize(
    ("files", "where", "setting"),
    [
        ({"pytest.ini": "[pytest]\n"}, "pytest.ini [pytest]", "`asyncio_mode = auto`"),
        (
            {"pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['tests']\n"},
            "pyproject.toml [tool.pytest.ini_options]",
            '`asyncio_mode = "auto"`',
        ),
        ({"setup.cfg": "[tool:pytest]\n"}, "setup.cfg [tool:pytest]", "`asyncio_mode = auto`"),
        ({"tox.ini": "[tox]\n[pytest]\n"}, "tox.ini [pytest]", "`asyncio_mode = auto`"),
        ({"tests/pytest.ini": "[pytest]\n"}, "tests/pytest.ini [pytest]", "`asyncio_mode = auto`"),
    ],
)
def test_strict_mode_with_pytest_asyncio_installed_names_the_config_file_and_the_key(
    tmp_path: Path, files: dict[str, str], where: str, setting: str
) -> None:
    write_tree(tmp_path, {**files, "tests/test_users.py": "async def test_a():\n    pass\n"})

    text = advice(target_facts(tmp_path, sys.executable))

    assert text.startswith(
        f"{PYTEST_ASYNCIO} is installed in {sys.executable} but runs in strict mode, its "
        f"default, which leaves unmarked `async def` tests unrun: set {setting} in {where}, "
        "or mark the tests `@pytest.mark.asyncio` (a whole module: "
        "`pytestmark = pytest.mark.asyncio`)"
    )
    assert text.endswith(
        "; anyio's pytest plugin is installed too: `@pytest.mark.anyio` also runs them"
    )


@pytest.mark.usefixtures("no_env_addopts")
def test_an_explicit_strict_mode_is_quoted_from_its_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[tool.pytest.ini_options]\nasyncio_mode = "strict"\n'})

    text = advice(target_facts(tmp_path, sys.executable))

    assert 'runs in `asyncio_mode = "strict"` in pyproject.toml [tool.pytest.ini_options]' in text
    assert 'set `asyncio_mode = "auto"` in pyproject.toml [tool.pytest.ini_options]' in text


def test_a_plugin_turned_off_in_addopts_is_named_with_the_file(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p no:asyncio -p no:anyio"\n'},
    )

    text = advice(target_facts(tmp_path, sys.executable))

    assert text == (
        f"{PYTEST_ASYNCIO} is installed in {sys.executable} but `-p no:asyncio` in the addopts "
        "of pyproject.toml [tool.pytest.ini_options] turns it off: remove that, then set "
        '`asyncio_mode = "auto"` in pyproject.toml [tool.pytest.ini_options]'
    )


def test_without_auto_mode_and_with_anyio_both_marks_are_offered() -> None:
    facts = TargetFacts(
        python=TARGET_PYTHON,
        plugins=TargetPlugins(pytest_asyncio=True, pytest_asyncio_version="0.23.8", anyio=True),
        pytest_config=PytestConfigFile(path="pytest.ini", section="[pytest]"),
    )

    text = advice(facts)

    assert text.startswith(f"pytest-asyncio 0.23.8 is installed in {TARGET_PYTHON} but runs")
    assert "set `asyncio_mode = auto` in pytest.ini [pytest]" in text
    assert "`@pytest.mark.asyncio`" in text
    assert "`@pytest.mark.anyio` also runs them" in text


def test_with_only_anyio_the_anyio_mark_comes_first() -> None:
    facts = TargetFacts(
        python=TARGET_PYTHON,
        plugins=TargetPlugins(anyio=True),
        has_pyproject=True,
        dependencies=DeclaredDependencies(
            sources=(
                DependencySource(file="pyproject.toml", kind="project", names=("fastapi",)),
                DependencySource(
                    file="pyproject.toml", kind="optional", group="test", names=("pytest",)
                ),
            ),
            has_project_table=True,
        ),
    )

    assert advice(facts) == (
        f"pytest-asyncio is not installed in {TARGET_PYTHON}, anyio's pytest plugin is: mark "
        "the tests `@pytest.mark.anyio` (a whole module: `pytestmark = pytest.mark.anyio`), or "
        "add `pytest-asyncio` to pyproject.toml [project.optional-dependencies] test, install "
        'it and set `asyncio_mode = "auto"` in a new [tool.pytest.ini_options] of pyproject.toml'
    )


def _venv_without_plugins(root: Path) -> str:
    venv.EnvBuilder(with_pip=False).create(root)
    return str(root / "bin" / "python")


def test_without_any_async_plugin_the_dependency_file_is_named(tmp_path: Path) -> None:
    target = tmp_path / "target"
    write_tree(
        target,
        {
            "pytest.ini": "[pytest]\n",
            "requirements.txt": "fastapi==0.115.0\n",
            "requirements-dev.txt": "-r requirements.txt\npytest>=8  # the runner\n",
        },
    )
    python = _venv_without_plugins(tmp_path / "venv")

    assert advice(target_facts(target, python)) == (
        f"no async test plugin is installed in {python}: add `pytest-asyncio` to "
        "requirements-dev.txt and install it, then set `asyncio_mode = auto` in "
        "pytest.ini [pytest]"
    )


@pytest.mark.parametrize(
    ("files", "where"),
    [
        (
            {"pyproject.toml": '[dependency-groups]\ndev = ["pytest>=8"]\n'},
            "pyproject.toml [dependency-groups] dev",
        ),
        (
            {"pyproject.toml": '[project]\nname = "api"\ndependencies = ["fastapi"]\n'},
            "pyproject.toml [project.optional-dependencies] (a new `test` extra)",
        ),
        (
            {"pyproject.toml": "[tool.poetry.dependencies]\npython = '^3.11'\nfastapi = '*'\n"},
            "pyproject.toml [tool.poetry.group.dev.dependencies]",
        ),
        ({"requirements.txt": "fastapi\n"}, "requirements.txt"),
        ({"requirements/test.txt": "pytest\n"}, "requirements/test.txt"),
    ],
)
def test_the_dependency_is_added_where_the_project_declares_its_test_dependencies(
    tmp_path: Path, files: dict[str, str], where: str
) -> None:
    write_tree(tmp_path, files)
    facts = target_facts(tmp_path, sys.executable).model_copy(update={"plugins": TargetPlugins()})

    assert f"add `pytest-asyncio` to {where} and install it" in advice(facts)


def test_a_project_that_declares_no_dependencies_is_told_so() -> None:
    facts = TargetFacts(python=TARGET_PYTHON, plugins=TargetPlugins())

    assert advice(facts) == (
        f"no async test plugin is installed in {TARGET_PYTHON}: add `pytest-asyncio` to the "
        "project's test dependencies (it declares none: no pyproject.toml [project] table, no "
        "requirements*.txt) and install it, then create pytest.ini with a [pytest] section "
        "that sets `asyncio_mode = auto`"
    )


def test_a_declared_plugin_that_is_not_installed_gets_the_install_command(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "api"\ndependencies = []\n'
            '[project.optional-dependencies]\ntest = ["pytest", "pytest_asyncio>=0.23"]\n'
            "[tool.pytest.ini_options]\n"
        },
    )
    facts = target_facts(tmp_path, sys.executable).model_copy(update={"plugins": TargetPlugins()})

    assert advice(facts) == (
        "pytest-asyncio is declared in pyproject.toml [project.optional-dependencies] test but "
        f"not installed in {sys.executable}: install the project's test dependencies "
        f"(`{sys.executable} -m pip install -e '.[test]'`), then set "
        '`asyncio_mode = "auto"` in pyproject.toml [tool.pytest.ini_options]'
    )


def test_in_auto_mode_a_coroutine_never_awaited_is_a_missing_await() -> None:
    facts = TargetFacts(
        python=TARGET_PYTHON,
        plugins=TargetPlugins(pytest_asyncio=True, pytest_asyncio_version="1.5.0"),
        pytest_config=PytestConfigFile(path="pytest.ini", section="[pytest]", asyncio_mode="auto"),
    )

    text = advice(facts, "RuntimeWarning: coroutine 'send_mail' was never awaited")

    assert text == (
        "pytest-asyncio 1.5.0 runs in auto mode: a coroutine was created and never awaited: "
        "add the missing `await` in the test or the code it calls"
    )


def test_the_auto_mode_can_come_from_addopts(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pytest.ini": "[pytest]\naddopts = -ra --asyncio-mode=auto\n"})

    config = target_facts(tmp_path, sys.executable).pytest_config

    assert config == PytestConfigFile(
        path="pytest.ini", section="[pytest]", asyncio_mode="auto", disabled_plugins=()
    )


def test_without_facts_the_general_remediation_stands() -> None:
    assert advice(None).startswith("no async plugin ran these tests: where pytest-asyncio")
