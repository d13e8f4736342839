"""probe_interpreter and the errors run_pytest raises before it starts anything."""

from __future__ import annotations

import importlib.metadata
import sys
import venv
from pathlib import Path

import pytest

from testing_lib.exceptions import RunnerError
from testing_lib.runner import probe_interpreter, run_pytest


def _venv_without_pytest(root: Path) -> str:
    venv.EnvBuilder(with_pip=False).create(root)
    return str(root / "bin" / "python")


def test_the_running_interpreter_has_pytest_and_its_plugins() -> None:
    info = probe_interpreter(sys.executable)

    assert info.python_version == ".".join(map(str, sys.version_info[:3]))
    assert info.pytest_version == pytest.__version__
    assert info.has_pytest_timeout
    assert probe_interpreter(sys.executable) is info  # cached per interpreter


def test_the_probe_lists_the_plugins_pytest_loads_by_itself() -> None:
    info = probe_interpreter(sys.executable)

    assert {"asyncio", "anyio", "timeout"} <= set(info.pytest_plugins)
    assert info.has_anyio_plugin
    assert info.has_pytest_asyncio
    assert info.pytest_asyncio_version == importlib.metadata.version("pytest-asyncio")


def test_a_missing_interpreter_is_named_in_the_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "python")

    with pytest.raises(RunnerError, match="does not exist") as raised:
        run_pytest(cwd=tmp_path, selection=["."], python=missing)
    assert missing in str(raised.value)


def test_a_file_that_is_not_executable_is_named_in_the_error(tmp_path: Path) -> None:
    not_executable = tmp_path / "python"
    not_executable.write_text("")

    with pytest.raises(RunnerError, match="not executable") as raised:
        probe_interpreter(str(not_executable))
    assert str(not_executable) in str(raised.value)


def test_an_interpreter_without_pytest_is_refused_with_the_fix(tmp_path: Path) -> None:
    python = _venv_without_pytest(tmp_path / "venv")

    with pytest.raises(RunnerError, match="cannot import pytest: install pytest") as raised:
        run_pytest(cwd=tmp_path, selection=["."], python=python)
    assert python in str(raised.value)
    info = probe_interpreter(python)
    assert info.has_pytest is False
    assert (info.pytest_plugins, info.pytest_asyncio_version) == ([], None)


def test_a_missing_working_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match="not a directory"):
        run_pytest(cwd=tmp_path / "missing", selection=["."])


def test_a_selection_must_not_be_one_string(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="sequence"):
        run_pytest(cwd=tmp_path, selection="tests")


def test_timeouts_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        run_pytest(cwd=tmp_path, selection=["."], test_timeout_s=0)
