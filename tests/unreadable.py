"""Folders that cannot be read, for tests that run as root (which reads `chmod 000`).

`deny(monkeypatch)` returns `block(folder, listable=False)`: from then on the folder behaves
as `chmod 000` does for another user (listing it, and looking at anything inside it, fails
with PermissionError; `os.access` says no), or with `listable=True` as `chmod 444` does
(it lists, but nothing inside it can be looked at).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

Block = Callable[..., None]


def deny(monkeypatch: pytest.MonkeyPatch) -> Block:
    unlistable: set[str] = set()
    closed: set[str] = set()  # nothing inside can be looked at
    real_scandir, real_stat, real_access = os.scandir, os.stat, os.access

    def absolute(path: Any) -> str | None:
        return None if isinstance(path, int) else os.path.abspath(os.fspath(path))

    def inside(path: Any) -> bool:
        full = absolute(path)
        return full is not None and any(full.startswith(folder + os.sep) for folder in closed)

    def refuse(path: Any) -> PermissionError:
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))

    def scandir(path: Any = ".") -> Iterator[os.DirEntry[str]]:
        if absolute(path) in unlistable or inside(path):
            raise refuse(path)
        return real_scandir(path)

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if inside(path):
            raise refuse(path)
        return real_stat(path, *args, **kwargs)

    def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        full = absolute(path)
        if full in closed or inside(path):
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "access", access)

    def block(folder: Path, *, listable: bool = False) -> None:
        full = os.path.abspath(folder)
        closed.add(full)
        if not listable:
            unlistable.add(full)

    return block
