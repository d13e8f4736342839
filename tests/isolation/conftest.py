"""Generated suites with planted order dependencies, and the interpreters that run them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

MakeSuite = Callable[[dict[str, str]], Path]


@pytest.fixture
def make_suite(tmp_path: Path) -> MakeSuite:
    """A target directory holding `files` (dedented) and an empty pytest configuration."""

    def build(files: dict[str, str]) -> Path:
        root = tmp_path / "suite"
        root.mkdir()
        (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        return root

    return build
