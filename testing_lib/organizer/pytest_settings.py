"""Read the collection settings pytest would use for a target, without running pytest.

Looks where pytest looks (the root, then its parents): `pytest.ini`, `.pytest.ini`,
`pyproject.toml` (`[tool.pytest.ini_options]` or pytest 9's `[tool.pytest]`), `tox.ini`
(`[pytest]`) and `setup.cfg` (`[tool:pytest]`); the first that configures pytest wins.
"""

from __future__ import annotations

import configparser
import fnmatch
import logging
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

from testing_lib.config.pyproject import PyprojectError, read_document, tool_table
from testing_lib.organizer.models import PytestSettings

logger = logging.getLogger(__name__)

_KEYS = ("python_files", "python_classes", "python_functions", "testpaths", "pythonpath")


def _ini_section(path: Path, section: str) -> dict[str, str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        logger.warning("Cannot read %s: %s; using pytest's defaults", path, exc)
        return None
    if not parser.has_section(section):
        return None
    return dict(parser.items(section))


def _toml_table(path: Path) -> dict[str, Any] | None:
    try:
        pytest_table = tool_table(read_document(path), "pytest")
    except PyprojectError as exc:
        logger.warning("Cannot read %s: %s; using pytest's defaults", path, exc)
        return None
    if not isinstance(pytest_table, dict):
        return None
    options = pytest_table.get("ini_options")
    if isinstance(options, dict):
        return options
    return {k: v for k, v in pytest_table.items() if k != "ini_options"}


def _config_in(directory: Path) -> tuple[Path, dict[str, Any]] | None:
    """The file of `directory` itself that configures pytest, with its settings."""
    for name in ("pytest.ini", ".pytest.ini"):
        candidate = directory / name
        if candidate.is_file():
            section = _ini_section(candidate, "pytest")
            return candidate, section or {}
    candidate = directory / "pyproject.toml"
    if candidate.is_file():
        table = _toml_table(candidate)
        if table is not None:
            return candidate, table
    candidate = directory / "tox.ini"
    if candidate.is_file():
        section = _ini_section(candidate, "pytest")
        if section is not None:
            return candidate, section
    candidate = directory / "setup.cfg"
    if candidate.is_file():
        section = _ini_section(candidate, "tool:pytest")
        if section is not None:
            return candidate, section
    return None


def _find_config(root: Path) -> tuple[Path, dict[str, Any]] | None:
    for directory in (root, *root.parents):
        found = _config_in(directory)
        if found is not None:
            return found
    return None


def find_pytest_config(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """The file that configures pytest for a run of `root` and its raw settings: the first
    of `root` and its parents that configures pytest, else the one folder right below
    `root` that does (see `nested_pytest_home`); None when none does."""
    root = root.resolve()
    found = _find_config(root)
    if found is not None:
        return found
    home = nested_pytest_home(root)
    return _config_in(home) if home is not None else None


def nested_pytest_home(root: Path) -> Path | None:
    """The one folder right below `root` that configures pytest, when `root` itself does
    not (a `tests/pytest.ini`): pytest takes it as its rootdir and configuration for any
    test under it, so a bare run of the project belongs there. None otherwise."""
    if _config_in(root) is not None:
        return None
    try:
        folders = [
            path for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")
        ]
    except OSError:
        return None
    homes = [folder for folder in sorted(folders) if _config_in(folder) is not None]
    return homes[0] if len(homes) == 1 else None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return shlex.split(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _import_mode(addopts: list[str]) -> str:
    for index, arg in enumerate(addopts):
        if arg.startswith("--import-mode="):
            return arg.split("=", 1)[1]
        if arg == "--import-mode" and index + 1 < len(addopts):
            return addopts[index + 1]
    return "prepend"


def read_pytest_settings(root: Path) -> PytestSettings:
    """The target's collection settings; pytest's defaults for anything unset."""
    root = root.resolve()
    found = _find_config(root)
    settings = PytestSettings()
    if found is None:
        return settings
    inifile, raw = found
    updates: dict[str, Any] = {}
    for key in _KEYS:
        if key in raw:
            updates[key] = _as_list(raw[key])
    if "norecursedirs" in raw:
        updates["norecursedirs"] = _as_list(raw["norecursedirs"])
    ini_dir = inifile.parent
    # testpaths and pythonpath are relative to the ini file's directory; keep those inside root.
    for key in ("testpaths", "pythonpath"):
        if key in updates:
            relative = (_relative(ini_dir, v, root) for v in updates[key])
            updates[key] = [p for p in relative if p is not None]
    updates["import_mode"] = _import_mode(_as_list(raw.get("addopts", [])))
    try:
        updates["inifile"] = inifile.relative_to(root).as_posix()
    except ValueError:
        updates["inifile"] = str(inifile)
    return settings.model_copy(update=updates)


def _relative(base: Path, value: str, root: Path) -> str | None:
    path = (base / value).resolve()
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        logger.info("Ignoring %s outside the audited root %s", path, root)
        return None
    return "" if relative == "." else relative


def matches_prefix_or_glob(name: str, patterns: list[str]) -> bool:
    """pytest's rule for python_classes / python_functions: a prefix, or a glob."""
    for pattern in patterns:
        if name.startswith(pattern):
            return True
        if any(c in pattern for c in "*?[") and fnmatch.fnmatch(name, pattern):
            return True
    return False


def matches_python_files(relative_path: str, patterns: list[str]) -> bool:
    """pytest's rule for python_files: a glob on the basename (or on the path if it has '/')."""
    path = PurePosixPath(relative_path)
    for pattern in patterns:
        if "/" in pattern:
            if path.match(pattern):
                return True
        elif fnmatch.fnmatch(path.name, pattern):
            return True
    return False
