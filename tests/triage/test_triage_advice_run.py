"""`remediate run` on a small target, as a user runs it: the failure groups it prints give
advice that fits the target (pytest-asyncio in strict mode, a module moved by a
reorganization), asked of the target's interpreter and read from its files.

The real console script runs in a fresh Prefect home, with the engine's venv python as the
target's interpreter: it has pytest-asyncio, in its default (strict) mode here. This
session's PYTEST_ADDOPTS (see conftest.py) turns anyio's plugin off for the processes it
starts, so the advice does not offer anyio's mark.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSING, write_tree

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

RUN_S = 600  # a cold Prefect server on a loaded machine, then one phase

TARGET = {
    "pyproject.toml": "[tool.remediation]\n\n[tool.pytest.ini_options]\n"
    'asyncio_default_fixture_loop_scope = "function"\n',
    "tests/__init__.py": "",
    "tests/unit/__init__.py": "",
    "tests/unit/test_ok.py": PASSING,
    "tests/unit/test_users.py": "async def test_create_user():\n    assert True\n",
    "tests/unit/test_tokens.py": "from tests.test_auth_endpoints import login\n\n\n"
    "def test_token():\n    assert login\n",
    "tests/integration/__init__.py": "",
    "tests/integration/api/__init__.py": "",
    "tests/integration/api/test_auth_endpoints.py": "def login():\n    return 'token'\n",
}


def test_the_printed_failure_groups_fit_the_target(tmp_path: Path) -> None:
    target = tmp_path / "backend"
    write_tree(target, TARGET)
    script = shutil.which("remediate", path=str(Path(sys.executable).parent))
    assert script, "the remediate console script is not installed next to this python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REMEDIATION_"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")

    run = subprocess.run(
        [script, "run", str(target), "--phase", "foundation"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_S,
        check=False,
    )

    assert run.returncode == 1, (run.stdout, run.stderr)
    groups = [line.strip() for line in run.stdout.splitlines() if " × " in line]
    version = importlib.metadata.version("pytest-asyncio")
    assert (
        "1 × async test no plugin ran — "
        f"pytest-asyncio {version} is installed in {sys.executable} but runs in strict mode, "
        "its default, which leaves unmarked `async def` tests unrun: set "
        '`asyncio_mode = "auto"` in pyproject.toml [tool.pytest.ini_options], or mark the '
        "tests `@pytest.mark.asyncio` (a whole module: `pytestmark = pytest.mark.asyncio`)"
        "  (e.g. tests/unit/test_users.py::test_create_user)"
    ) in groups, run.stdout
    assert (
        "1 × module not found (tests.test_auth_endpoints) — the project's own module "
        "`tests.test_auth_endpoints` moved: now at tests/integration/api/test_auth_endpoints.py; "
        "update the import  (e.g. tests/unit/test_tokens.py)"
    ) in groups, run.stdout
