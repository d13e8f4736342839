from __future__ import annotations

import sys
from pathlib import Path

import pytest

from testing_lib.config import PHASE_ORDER, load_target_config, parse_phase
from testing_lib.exceptions import TargetConfigError


def test_defaults_follow_the_architecture(make_target) -> None:
    config = load_target_config(make_target())
    assert config.phases["foundation"].paths == ["tests/unit"]
    assert config.phases["core_infrastructure"].paths == [
        "tests/integration/api",
        "tests/integration/database",
    ]
    assert config.phases["final_validation"].paths == []
    assert all(p.min_success_rate == 100 for p in config.phases.values())
    assert config.python == sys.executable


def test_phase_table_overrides_only_what_it_names(make_target) -> None:
    root = make_target(
        pyproject="""
        [tool.remediation.phases.foundation]
        markers = "not slow"
        min_success_rate = 90
        """
    )
    foundation = load_target_config(root).phases["foundation"]
    assert foundation.paths == ["tests/unit"]
    assert foundation.markers == "not slow"
    assert foundation.min_success_rate == 90


def test_a_tests_folder_without_config_is_a_target(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    assert load_target_config(tmp_path).config_file is None


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        (
            "[tool.remediation.phases.foundation]\nmin_success_rate = 120\n",
            "[tool.remediation.phases.foundation].min_success_rate",
        ),
        (
            "[tool.remediation.phases.foundation]\ntimeout_s = -1\n",
            "[tool.remediation.phases.foundation].timeout_s",
        ),
        ("[tool.remediation.phases.warmup]\npaths = ['x']\n", "[tool.remediation.phases.warmup]"),
        ("[tool.remediation]\nphasez = 1\n", "[tool.remediation].phasez"),
        ("[tool.remediation.phases.foundation]\npaths = ['../elsewhere']\n", "leaves the target"),
        ("[tool.remediation.phases.foundation]\npaths = ['/etc']\n", "leaves the target"),
        ("[tool.remediation\n", "not valid TOML"),
    ],
)
def test_invalid_config_names_the_file_and_key(tmp_path: Path, toml: str, named: str) -> None:
    (tmp_path / "pyproject.toml").write_text(toml)
    with pytest.raises(TargetConfigError) as info:
        load_target_config(tmp_path)
    assert named in str(info.value)
    assert str(tmp_path / "pyproject.toml") in str(info.value)


def test_missing_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TargetConfigError, match="does not exist"):
        load_target_config(tmp_path / "nope")


def test_file_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(TargetConfigError, match="not a directory"):
        load_target_config(tmp_path / "f.txt")


def test_a_folder_with_neither_config_nor_tests_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TargetConfigError, match=r"no \[tool.remediation\] table"):
        load_target_config(tmp_path)


def test_interpreter_path_is_resolved_relative_to_the_target(make_target) -> None:
    root = make_target(pyproject="[tool.remediation]\npython = 'venv/bin/python'\n")
    with pytest.raises(TargetConfigError, match="venv/bin/python"):
        load_target_config(root)
    (root / "venv" / "bin").mkdir(parents=True)
    (root / "venv" / "bin" / "python").symlink_to(sys.executable)
    assert load_target_config(root).python == str(root / "venv" / "bin" / "python")


def test_unknown_interpreter_command_is_refused(make_target) -> None:
    with pytest.raises(TargetConfigError, match="not on PATH"):
        load_target_config(make_target(), python="python-that-does-not-exist")


def test_phase_names_parse_with_dashes_and_list_the_valid_ones() -> None:
    assert parse_phase("core-infrastructure") == "core_infrastructure"
    with pytest.raises(ValueError, match="valid phases: " + ", ".join(PHASE_ORDER)):
        parse_phase("warmup")
