"""Small target projects for the organizer in tmp dirs, and a copy of the legacy suite."""

from __future__ import annotations

import hashlib
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

LEGACY_SUITE = Path(__file__).resolve().parents[2] / "examples" / "legacy_suite"

MakeProject = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Write `files` (dedented) under tmp_path/<name>, with a pytest.ini of its own."""

    def build(files: dict[str, str], *, name: str = "proj", ini: str | None = "") -> Path:
        root = tmp_path / name
        root.mkdir()
        if ini is not None:
            (root / "pytest.ini").write_text("[pytest]\n" + textwrap.dedent(ini))
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return root

    return build


@pytest.fixture
def legacy_copy(tmp_path: Path) -> Path:
    """A private copy of examples/legacy_suite (never organize the original)."""
    target = tmp_path / "legacy_suite"
    shutil.copytree(
        LEGACY_SUITE, target, ignore=shutil.ignore_patterns("__pycache__", ".remediation")
    )
    return target


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (but the organizer's journal and bytecode) -> sha256."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] in (".remediation", ".git"):
            continue
        if "__pycache__" in relative.parts:
            continue
        found[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def tree_dirs(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_dir()
        and p.relative_to(root).parts[0] not in (".remediation", ".git")
        and "__pycache__" not in p.parts
    }


@pytest.fixture(autouse=True)
def _lean_target_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Target pytest runs here load no entry-point plugins: these targets need none, and the
    engine's environment autoloads plugins that cost ≈2 s per pytest start (the collector
    plugin is passed with -p and still loads)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
