"""Targets not laid out as tests/unit, tests/integration/<area>: phases select by classification."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing_lib.config.target import load_target_config
from testing_lib.exceptions import TargetConfigError
from testing_lib.selection import resolve_selection
from tests.conftest import write_tree

UNIT = "def test_adds():\n    assert 1 + 1 == 2\n"
API = (
    "import httpx\n\n"
    "def test_calls_the_app():\n"
    "    transport = httpx.MockTransport(lambda request: httpx.Response(200))\n"
    "    assert httpx.Client(transport=transport).get('http://app/').status_code == 200\n"
)


def _target(root: Path, files: dict[str, str]) -> Path:
    write_tree(root, files)
    return root


def test_a_flat_tests_folder_is_split_by_what_each_file_tests(tmp_path: Path) -> None:
    root = _target(tmp_path, {"tests/test_math.py": UNIT, "tests/test_client.py": API})

    config = load_target_config(root)

    assert config.phase("foundation").paths == ["tests/test_math.py"]
    assert config.phase("core_infrastructure").paths == ["tests/test_client.py"]
    assert config.phase("final_validation").paths == []  # the whole suite, as always
    service = resolve_selection(config, "service_integration")
    assert (service.runnable, service.whole_suite) == (False, False)
    assert service.empty_reason is not None
    assert "no test file is classified as services integration" in service.empty_reason
    assert "[tool.remediation.phases.service_integration] paths" in service.empty_reason
    assert set(config.derived_selections) == {
        "foundation",
        "core_infrastructure",
        "service_integration",
    }


def test_tests_beside_the_code_without_a_tests_folder_load(tmp_path: Path) -> None:
    root = _target(tmp_path, {"pkg/__init__.py": "", "pkg/test_pkg.py": UNIT})

    assert load_target_config(root).phase("foundation").paths == ["pkg/test_pkg.py"]


def test_a_folder_without_any_test_is_refused(tmp_path: Path) -> None:
    root = _target(tmp_path, {"pkg/__init__.py": "", "pkg/core.py": "X = 1\n"})

    with pytest.raises(TargetConfigError, match="no test module"):
        load_target_config(root)


def test_an_organized_layout_keeps_its_folders(tmp_path: Path) -> None:
    root = _target(
        tmp_path,
        {
            "tests/unit/test_math.py": UNIT,
            "tests/integration/api/test_client.py": API,
            "tests/integration/services/test_more.py": API,
        },
    )

    config = load_target_config(root)

    assert config.derived_selections == {}
    assert config.phase("core_infrastructure").paths == [
        "tests/integration/api",
        "tests/integration/database",
    ]


def test_only_the_phases_whose_folders_are_missing_select_by_classification(
    tmp_path: Path,
) -> None:
    root = _target(tmp_path, {"tests/unit/test_math.py": UNIT, "tests/test_client.py": API})

    config = load_target_config(root)

    assert config.phase("foundation").paths == ["tests/unit"]
    assert config.phase("core_infrastructure").paths == ["tests/test_client.py"]
    assert set(config.derived_selections) == {"core_infrastructure", "service_integration"}


def test_configured_paths_are_never_replaced(tmp_path: Path) -> None:
    root = _target(
        tmp_path,
        {
            "pyproject.toml": "[tool.remediation.phases.foundation]\npaths = ['tests']\n",
            "tests/test_math.py": UNIT,
            "tests/test_client.py": API,
        },
    )

    config = load_target_config(root)

    assert config.phase("foundation").paths == ["tests"]
    assert "foundation" not in config.derived_selections
    assert config.phase("core_infrastructure").paths == ["tests/test_client.py"]


def test_the_classification_follows_the_files(tmp_path: Path) -> None:
    root = _target(tmp_path, {"tests/test_math.py": UNIT})
    assert load_target_config(root).phase("core_infrastructure").paths == []

    (root / "tests/test_math.py").write_text(API + "\n# now a client test\n", encoding="utf-8")

    assert load_target_config(root).phase("core_infrastructure").paths == ["tests/test_math.py"]
