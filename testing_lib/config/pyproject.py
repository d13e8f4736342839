"""The one reader of a project's `pyproject.toml`: its document and its tables.

Everything that needs `[tool.remediation]` (the target loader, the pytest plugin's settings,
the CLI deciding how to treat a folder) or `[tool.pytest]` reads it here. A file is parsed
once per content: the cache is keyed by path, size and modification time, so an edited file
is read again and an unchanged one never is.
"""

from __future__ import annotations

import functools
import os
import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = "pyproject.toml"


class PyprojectError(ValueError):
    """The file exists but is not readable TOML; the message names the file."""


@functools.lru_cache(maxsize=128)
def _parse(path: str, size: int, mtime_ns: int) -> dict[str, Any]:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise PyprojectError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise PyprojectError(f"{path}: not UTF-8 text: {exc}") from exc


def read_document(path: Path) -> dict[str, Any] | None:
    """The parsed file, or None when there is no such file. Raises PyprojectError."""
    try:
        stat = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not os.path.isfile(path):
        return None
    return _parse(os.fspath(path), stat.st_size, stat.st_mtime_ns)


def tool_table(document: dict[str, Any] | None, name: str) -> object:
    """`[tool.<name>]` of a parsed document (None when absent)."""
    tool = (document or {}).get("tool")
    return tool.get(name) if isinstance(tool, dict) else None


def remediation_table(root: Path) -> dict[str, Any] | None:
    """`[tool.remediation]` of `root/pyproject.toml`, or None when there is none.

    Raises PyprojectError when the file is unreadable or the key is not a table."""
    pyproject = root / PYPROJECT
    table = tool_table(read_document(pyproject), "remediation")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise PyprojectError(f"{pyproject}: [tool.remediation] must be a table")
    return table


def has_remediation_table(root: Path) -> bool:
    """Whether `root/pyproject.toml` has a `[tool.remediation]` key; an unreadable file
    counts as having one, so that the target loader reports it, naming the file."""
    try:
        return tool_table(read_document(root / PYPROJECT), "remediation") is not None
    except PyprojectError:
        return True
