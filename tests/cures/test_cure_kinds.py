"""The catalogue's transforms on their own: the text each kind of cure writes."""

from __future__ import annotations

import pytest

from testing_lib.cures import catalogue
from testing_lib.cures.async_mode import _with_key, marked_source
from testing_lib.cures.kinds import CURES_FOR
from testing_lib.cures.moved_imports import asked_for, import_changes, importable_name
from testing_lib.organizer.rewrite import rewrite_source
from testing_lib.triage.facts import PytestConfigFile
from testing_lib.triage.project_modules import Location, locate


def test_every_failure_kind_with_a_cure_has_its_proposer() -> None:
    assert set(catalogue.CATALOGUE) == set(CURES_FOR)


@pytest.mark.parametrize(
    ("path", "section", "text", "line"),
    [
        (
            "pyproject.toml",
            "[tool.pytest.ini_options]",
            'x = 1\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
            'asyncio_mode = "auto"',
        ),
        ("pytest.ini", "[pytest]", "[pytest]  ; ours\naddopts = -ra\n", "asyncio_mode = auto"),
        (
            "setup.cfg",
            "[tool:pytest]",
            "[metadata]\nname = x\n[tool:pytest]\n",
            "asyncio_mode = auto",
        ),
    ],
)
def test_auto_mode_goes_under_the_configurations_own_section(
    path: str, section: str, text: str, line: str
) -> None:
    config = PytestConfigFile(path=path, section=section)

    after = _with_key(text, config)

    assert after is not None
    header = next(i for i, row in enumerate(after.splitlines()) if row.startswith(section))
    assert after.splitlines()[header + 1] == line
    assert after.replace(line + "\n", "", 1) == text  # nothing else changed


def test_a_section_written_otherwise_is_left_to_a_person() -> None:
    config = PytestConfigFile(path="pytest.ini", section="[pytest]")
    assert _with_key("[ pytest ]\n", config) is None


def test_the_mark_joins_an_existing_pytestmark_or_comes_after_the_imports() -> None:
    plain = '"""Doc."""\nimport asyncio\n\n\nasync def test_a():\n    await asyncio.sleep(0)\n'
    marked = marked_source(plain)
    assert marked.startswith(
        '"""Doc."""\nimport asyncio\nimport pytest\n\npytestmark = pytest.mark.asyncio\n'
    )
    existing = "import pytest\n\npytestmark = pytest.mark.slow\n"
    assert "pytestmark = [pytest.mark.slow, pytest.mark.asyncio]" in marked_source(existing)
    listed = "import pytest\n\npytestmark = [pytest.mark.slow]\n"
    assert "pytestmark = [pytest.mark.slow, pytest.mark.asyncio]" in marked_source(listed)


def test_a_moved_module_is_found_by_the_longest_ending_of_what_the_import_asked_for() -> None:
    source = "from tests.helpers.money import cents\nimport os\n"
    modules = (
        "tests/",
        "tests/utils/",
        "tests/utils/money.py",
        "tests/rel/",
        "tests/rel/helpers.py",
    )

    asked = asked_for(source, "tests.helpers")

    assert asked == ["tests.helpers.money.cents", "tests.helpers.money"]
    assert locate(modules, "tests.helpers", asked) == Location(
        "moved", "tests.helpers.money", ("tests/utils/money.py",)
    )
    assert importable_name("src/pkg/mod.py") == "pkg.mod"
    assert importable_name("tests/utils/__init__.py") == "tests.utils"


@pytest.mark.parametrize(
    ("source", "old", "new", "expected"),
    [
        (
            "from tests.helpers.money import cents  # keep\n",
            "tests.helpers.money",
            "tests.utils.money",
            "from tests.utils.money import cents  # keep\n",
        ),
        (
            "import tests.helpers.money\n\nx = tests.helpers.money.cents(1)\n",
            "tests.helpers.money",
            "tests.utils.money",
            "import tests.utils.money\n\nx = tests.utils.money.cents(1)\n",
        ),
        (
            "import test_helpers\n\ntest_helpers.go()\n",
            "test_helpers",
            "tests.support.test_helpers",
            "import tests.support.test_helpers as test_helpers\n\ntest_helpers.go()\n",
        ),
    ],
)
def test_imports_of_the_old_path_are_rewritten_and_usages_follow(
    source: str, old: str, new: str, expected: str
) -> None:
    after, _ = rewrite_source(source.encode(), import_changes(source, old, new))
    assert after.decode() == expected


@pytest.mark.parametrize(
    ("missing", "asked", "where"),
    [
        # the old package name spelled within the new folder's name
        ("testing", ["testing.builders.build", "testing.builders"], "testing.builders"),
        # a test module moved into a sub-package: found by its own name
        ("tests.test_auth_endpoints", ["tests.test_auth_endpoints"], "tests.test_auth_endpoints"),
    ],
)
def test_modules_a_reorganization_moved_are_located(
    missing: str, asked: list[str], where: str
) -> None:
    modules = (
        "tests/",
        "tests/integration/",
        "tests/integration/api/",
        "tests/integration/api/test_auth_endpoints.py",
        "tests/utils/",
        "tests/utils/testing_framework/",
        "tests/utils/testing_framework/builders.py",
    )

    location = locate(modules, missing, asked)

    assert location is not None
    assert location.how == "moved"
    assert location.name == where
    assert len(location.paths) == 1
