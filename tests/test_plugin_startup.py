"""The pytest plugin costs a project it is not active for nothing it does not need.

The plugin is installed with the engine, so every pytest run in that environment loads it;
for a project without `[tool.remediation]` it must not load pydantic's models (the
configuration, the performance monitor's), which cost a third of a small run's start.
Asserted through what a fresh pytest process has in `sys.modules`, never through seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
import pytest
code = pytest.main(["-q", "-p", "no:cacheprovider", sys.argv[1]])
print(json.dumps({"code": int(code), "pydantic": "pydantic" in sys.modules}))
"""


def _run(project: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(project / "tests")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _project(root: Path, pyproject: str) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (root / "tests/test_one.py").write_text("def test_one():\n    assert True\n")
    return root


def test_a_project_without_the_table_loads_no_pydantic_model(tmp_path: Path) -> None:
    project = _project(tmp_path / "plain", '[project]\nname = "plain"\nversion = "0"\n')

    assert _run(project) == {"code": 0, "pydantic": False}


def test_a_project_with_the_table_gets_its_configuration(tmp_path: Path) -> None:
    project = _project(tmp_path / "opted-in", "[tool.remediation]\n")

    assert _run(project) == {"code": 0, "pydantic": True}  # the plugin read its settings
