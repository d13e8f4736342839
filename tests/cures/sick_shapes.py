"""Generated sick suites, one per kind of cure, each with passing tests beside the sick ones.

Each shape writes a small project under a folder and says which failure group it has and
which test ids must run once it is cured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PYPROJECT = """\
[project]
name = "{name}"
version = "0"

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_default_fixture_loop_scope = "function"
{extra}"""


@dataclass(frozen=True)
class Shape:
    name: str
    cure: str  # the catalogue kind expected to cure it
    files: dict[str, str]
    cured_tests: tuple[str, ...]  # test ids that must pass once cured
    pyproject_extra: str = ""
    pyproject: str | None = None  # the whole pyproject.toml, in place of the usual one

    def write(self, folder: Path) -> Path:
        root = folder / self.name
        root.mkdir(parents=True)
        text = self.pyproject or PYPROJECT.format(name=self.name, extra=self.pyproject_extra)
        (root / "pyproject.toml").write_text(text, encoding="utf-8")
        for relative, text in self.files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root


PASSING = "def test_still_passes():\n    assert 1 + 1 == 2\n"

ASYNC_DEFAULT_STRICT = Shape(
    name="async_default_strict",
    cure="async-mode",
    files={
        "tests/__init__.py": "",
        "tests/unit/test_async.py": (
            "import asyncio\n\n\nasync def test_awaits():\n    await asyncio.sleep(0)\n"
        ),
        "tests/unit/test_plain.py": PASSING,
    },
    cured_tests=("tests/unit/test_async.py::test_awaits",),
)

# pytest's rootdir below the project: the only pytest configuration is tests/pytest.ini, so a
# bare run belongs in tests/ (ids relative to it), and the cure goes into that file.
ASYNC_ROOTDIR_BELOW = Shape(
    name="async_rootdir_below",
    cure="async-mode",
    files={
        "tests/pytest.ini": "[pytest]\nasyncio_default_fixture_loop_scope = function\n",
        "tests/unit/test_async.py": ASYNC_DEFAULT_STRICT.files["tests/unit/test_async.py"],
        "tests/unit/test_plain.py": PASSING,
    },
    cured_tests=("unit/test_async.py::test_awaits",),
    pyproject='[project]\nname = "async_rootdir_below"\nversion = "0"\n',
)

ASYNC_STRICT_ON_PURPOSE = Shape(
    name="async_strict_on_purpose",
    cure="async-mark",
    files={
        "tests/__init__.py": "",
        "tests/unit/test_async.py": (
            '"""Async tests."""\n\nimport asyncio\n\n\n'
            "async def test_awaits():\n    await asyncio.sleep(0)\n"
        ),
        "tests/unit/test_plain.py": PASSING,
    },
    cured_tests=("tests/unit/test_async.py::test_awaits",),
    pyproject_extra='asyncio_mode = "strict"\n',
)

BASENAME_CLASH = Shape(
    name="basename_clash",
    cure="package-markers",
    files={
        "tests/__init__.py": "",
        "tests/unit/test_money.py": "def test_unit_money():\n    assert round(1.005, 2) <= 1.01\n",
        "tests/integration/api/test_money.py": "def test_api_money():\n    assert 2 > 1\n",
        "tests/unit/test_plain.py": PASSING,
    },
    cured_tests=("tests/integration/api/test_money.py::test_api_money",),
)

MOVED_MODULE = Shape(
    name="moved_module",
    cure="moved-import",
    files={
        "tests/__init__.py": "",
        "tests/utils/__init__.py": "",
        "tests/utils/money.py": "def cents(x):\n    return round(x * 100)\n",
        "tests/unit/test_prices.py": (
            "from tests.helpers.money import cents  # moved to tests/utils/money.py\n\n\n"
            "def test_cents():\n    assert cents(1.5) == 150\n"
        ),
        "tests/unit/test_plain.py": PASSING,
    },
    cured_tests=("tests/unit/test_prices.py::test_cents",),
)

# A reorganization moved modules into packages without updating their importers: one import
# names the old package (`testing.builders`, now tests/utils/testing_framework/builders.py),
# one a test module that moved (`tests.test_auth_endpoints`, now under tests/integration/api/).
REORGANIZED = Shape(
    name="reorganized",
    cure="moved-import",
    files={
        "tests/__init__.py": "",
        "tests/integration/__init__.py": "",
        "tests/integration/api/__init__.py": "",
        "tests/integration/api/test_auth_endpoints.py": (
            'def make_token(user):\n    return f"token-{user}"\n\n\n'
            'def test_token():\n    assert make_token("a") == "token-a"\n'
        ),
        "tests/utils/__init__.py": "",
        "tests/utils/testing_framework/__init__.py": "",
        "tests/utils/testing_framework/builders.py": "def build(x):\n    return [x]\n",
        "tests/unit/__init__.py": "",
        "tests/unit/test_login_flow.py": (
            "from tests.test_auth_endpoints import make_token\n\n\n"
            'def test_login_uses_a_token():\n    assert make_token("b").startswith("token-")\n'
        ),
        "tests/unit/test_builders.py": (
            "from testing.builders import build\n\n\n"
            "def test_builds():\n    assert build(1) == [1]\n"
        ),
    },
    cured_tests=(
        "tests/unit/test_login_flow.py::test_login_uses_a_token",
        "tests/unit/test_builders.py::test_builds",
    ),
)

RELATIVE_IMPORT = Shape(
    name="relative_import",
    cure="package-markers",
    files={
        "tests/unit/helpers.py": "VALUE = 1\n",
        "tests/unit/test_relative.py": (
            "from .helpers import VALUE\n\n\ndef test_value():\n    assert VALUE == 1\n"
        ),
        "tests/other/test_plain.py": PASSING,
    },
    cured_tests=("tests/unit/test_relative.py::test_value",),
)

FIXTURE_ELSEWHERE = Shape(
    name="fixture_elsewhere",
    cure="fixture-import",
    files={
        "tests/__init__.py": "",
        "tests/fixtures/__init__.py": "",
        "tests/fixtures/db.py": (
            'import pytest\n\n\n@pytest.fixture\ndef test_db_manager():\n    return {"rows": []}\n'
        ),
        "tests/unit/test_repo.py": (
            '"""Uses a fixture whose conftest a reorganization left behind."""\n\n\n'
            'def test_starts_empty(test_db_manager):\n    assert test_db_manager["rows"] == []\n'
        ),
        "tests/unit/test_plain.py": PASSING,
    },
    cured_tests=("tests/unit/test_repo.py::test_starts_empty",),
)

HTTPX_APP_CLIENT = Shape(
    name="httpx_app_client",
    cure="http-client-transport",
    files={
        "app.py": (
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            '@app.get("/health")\ndef health():\n    return {"ok": True}\n'
        ),
        "tests/__init__.py": "",
        "tests/test_api.py": (
            "import httpx\n\nfrom app import app\n\n\nasync def test_health():\n"
            '    async with httpx.AsyncClient(app=app, base_url="http://test") as client:\n'
            '        assert (await client.get("/health")).json() == {"ok": True}\n'
        ),
        "tests/test_plain.py": PASSING,
    },
    cured_tests=("tests/test_api.py::test_health",),
    pyproject_extra='asyncio_mode = "auto"\n',
)

MISSING_PACKAGE = Shape(
    name="missing_package",
    cure="skip-missing",
    files={
        "tests/__init__.py": "",
        "tests/test_scoring.py": (
            '"""Needs a package the environment lacks."""\n'
            "import remediation_never_installed_pkg\n\n\n"
            "def test_scores():\n    assert remediation_never_installed_pkg.score() > 0\n"
        ),
        "tests/test_plain.py": PASSING,
    },
    cured_tests=(),
)

# The obvious cure (packages) breaks a passing test: test_sibling imports `helpers` from
# its own folder, which is on sys.path only while that folder is no package.
CLASH_WITH_SIBLING_IMPORT = Shape(
    name="clash_with_sibling_import",
    cure="package-markers",
    files={
        "tests/unit/test_money.py": "def test_unit_money():\n    assert True\n",
        "tests/unit/helpers.py": "VALUE = 1\n",
        "tests/unit/test_sibling.py": (
            "import helpers\n\n\ndef test_sibling_helper():\n    assert helpers.VALUE == 1\n"
        ),
        "tests/api/test_money.py": "def test_api_money():\n    assert True\n",
    },
    cured_tests=(),
)

# A cure that works beside one that breaks a passing test: proving them together fails, so
# each is proven alone and only the breaking one is refused.
MIXED = Shape(
    name="mixed",
    cure="async-mode",
    files={
        **CLASH_WITH_SIBLING_IMPORT.files,
        "tests/other/test_async.py": ASYNC_DEFAULT_STRICT.files["tests/unit/test_async.py"],
    },
    cured_tests=("tests/other/test_async.py::test_awaits",),
)

CURABLE = (
    ASYNC_DEFAULT_STRICT,
    ASYNC_STRICT_ON_PURPOSE,
    ASYNC_ROOTDIR_BELOW,
    BASENAME_CLASH,
    MOVED_MODULE,
    REORGANIZED,
    RELATIVE_IMPORT,
)
