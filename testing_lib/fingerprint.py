"""A digest of what a phase reads: the target's files, its configuration, the engine version.

Used as the cache key that lets a retried run skip the phases that already passed on the
same content, and (`content_digest`, `run_conditions`) to tell whether a saved phase run
still stands for the target as it is. In a git work tree the files are the ones git sees
(tracked plus untracked, minus ignored); elsewhere every file except caches, virtualenvs
and the engine's own state.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig

_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".remediation",
        ".prefect",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
    }
)
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_GIT_TIMEOUT_S = 30


def engine_version() -> str:
    try:
        return version("remediation-engine")
    except PackageNotFoundError:
        return "unknown"


def _git_files(root: Path) -> list[str] | None:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=root,
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return None
    names = [n for n in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    return [n for n in names if not _skipped(Path(n))]


def _skipped(relative: Path) -> bool:
    return (
        bool(_SKIPPED_DIRS.intersection(relative.parts[:-1]))
        or relative.suffix in _SKIPPED_SUFFIXES
    )


def _walk_files(root: Path) -> list[str]:
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        base = Path(directory).relative_to(root)
        found.extend(
            (base / name).as_posix() for name in filenames if not name.endswith(_SKIPPED_SUFFIXES)
        )
    return found


def list_files(root: Path) -> list[str]:
    """The target's files, relative, with forward slashes."""
    return sorted(_git_files(root) or _walk_files(root))


def _under(name: str, paths: Iterable[str]) -> bool:
    for raw in paths:
        prefix = raw.split("::", 1)[0].strip("/")
        if prefix in ("", ".") or name == prefix or name.startswith(prefix + "/"):
            return True
    return False


def phase_files(target: TargetConfig, phase: PhaseName, files: Iterable[str]) -> list[str]:
    """What a phase reads: every file except tests that only other phases select.

    A whole-suite phase (no paths) reads everything. Shared code, conftests above the
    selections and configuration always count, so changing them invalidates every phase.
    """
    own = target.phase(phase).paths
    if not own:
        return list(files)
    others = [p for name, cfg in target.phases.items() if name != phase for p in cfg.paths]
    return [f for f in files if _under(f, own) or not _under(f, others)]


def content_digest(root: Path, files: Iterable[str] | None = None) -> str:
    """blake2b over the sorted relative paths and contents of the given (default: all) files."""
    names = sorted(files if files is not None else list_files(root))
    digest = hashlib.blake2b(digest_size=20)
    for name in names:
        path = root / name
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            continue  # deleted since listing, a submodule directory, or unreadable
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.blake2b(data, digest_size=20).digest())
    return digest.hexdigest()


def phase_fingerprint(
    target: TargetConfig, phase: PhaseName, files: Iterable[str] | None = None
) -> str:
    """The cache key of one phase on one target state (`files`: from `list_files`)."""
    listed = list_files(target.root) if files is None else files
    content = content_digest(target.root, phase_files(target, phase, listed))
    return _digest([*_phase_parts(target, phase), content])


def _phase_parts(
    target: TargetConfig, phase: PhaseName, exclude: frozenset[str] = frozenset()
) -> list[str]:
    """What a run of `phase` depends on besides its files: the engine, the target's root and
    interpreter, the phase's settings (but `exclude`), the test environment."""
    return [
        engine_version(),
        str(target.root),
        phase,
        target.python,
        target.phase(phase).model_dump_json(exclude=set(exclude) or None),
        target.testing.model_dump_json(),
    ]


def _digest(parts: Iterable[str]) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


# Phase settings that decide how its gate judges or splits a run, not what a test does.
_NOT_RUN_SETTINGS = frozenset({"min_success_rate", "shards"})


def run_conditions(
    target: TargetConfig,
    phase: PhaseName,
    *,
    plugins: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
) -> str:
    """A digest of how a run of `phase` is made, besides the files it reads: the engine
    version, the target's root and interpreter, the phase's selection, markers, pytest
    arguments and time limits, the test environment, and the `plugins` and `env` a run adds
    (a gate's observers, a shard's split). Two runs of equal conditions on equal content
    are the same run; the recording monitor every gate carries is not counted."""
    return _digest(
        [
            *_phase_parts(target, phase, _NOT_RUN_SETTINGS),
            json.dumps(sorted(set(plugins))),
            json.dumps(dict(env or {}), sort_keys=True),
        ]
    )
