"""Phase selections for a suite that is not laid out as tests/unit, tests/integration/<area>.

The default phase paths name the organized layout (`tests/unit`, `tests/integration/api`,
...). A phase left on those defaults whose folders do not exist (a flat `tests/`, tests
beside the code, `tests/integration` without area folders) would gate on nothing. Instead
it selects the test files that `remediate organize` would move into its default folders:
the organizer's classification (category and area, from imports, fixtures and calls),
wherever the files lie now. final_validation keeps the whole suite.

The audit behind it reads files only (no interpreter, no import). Its answer is kept per
target for as long as no discovered file changes (paths, sizes and mtimes), so a run that
loads its configuration several times audits once. Folders it cannot read (permission
denied) are named in the selection's description and in `DerivedSelection.unreadable`:
their files are not classified, so no phase selects them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from testing_lib.config.phases import DEFAULT_PATHS, PhaseName
from testing_lib.organizer.audit import run_audit
from testing_lib.organizer.discovery import discover
from testing_lib.organizer.models import TestFileInfo
from testing_lib.organizer.pytest_settings import read_pytest_settings

logger = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]

_cache: dict[Path, tuple[Signature, list[TestFileInfo]]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class DerivedSelection:
    """A phase's test files chosen by classification, and how to say so."""

    files: tuple[str, ...]
    description: str
    unreadable: tuple[str, ...] = ()  # folders whose files could not be classified


def organized_layout_missing(root: Path, phases: Iterable[PhaseName]) -> bool:
    """True when none of these phases' default folders exists under `root`."""
    return not any(os.path.exists(root / path) for phase in phases for path in DEFAULT_PATHS[phase])


@dataclass(frozen=True)
class _Scan:
    signature: Signature  # paths, sizes and mtimes of the files the audit reads
    has_test_modules: bool
    unreadable: tuple[str, ...]  # folders that could not be listed, or whose files not stat'ed


def _scan(root: Path) -> _Scan:
    found = discover(root, read_pytest_settings(root))
    entries = []
    unreadable = set(found.unreadable)
    for relative in found.audited:
        try:
            stat = (root / relative).stat()
        except FileNotFoundError:
            continue  # removed since the walk
        except OSError as exc:  # listed, but its folder cannot be searched
            folder = relative.rpartition("/")[0] or "."
            if folder not in unreadable:
                logger.warning(
                    "cannot read %s in %s (%s), so its files are not classified",
                    folder,
                    root,
                    exc.strerror or type(exc).__name__,
                )
            unreadable.add(folder)
            continue
        entries.append((relative, stat.st_size, stat.st_mtime_ns))
    return _Scan(tuple(entries), bool(found.test_modules), tuple(sorted(unreadable)))


def _classified_files(root: Path) -> tuple[list[TestFileInfo], tuple[str, ...]]:
    """The audit's test files (cached while the scan's signature holds), and the folders
    that could not be read."""
    scan = _scan(root)
    with _cache_lock:
        cached = _cache.get(root)
        if cached is not None and cached[0] == scan.signature:
            return cached[1], scan.unreadable
    files = [f for f in run_audit(root, with_duplicates=False).report.files if f.kind == "test"]
    with _cache_lock:
        _cache[root] = (scan.signature, files)
    return files, scan.unreadable


def has_test_modules(root: Path) -> bool:
    """Whether pytest's file patterns match any module under `root`."""
    return _scan(root).has_test_modules


def _wanted(path: str) -> tuple[str, str | None]:
    """`tests/unit` -> ("unit", None); `tests/integration/api` -> ("integration", "api")."""
    parts = path.split("/")[1:]
    return parts[0], (parts[1] if len(parts) > 1 else None)


def _describe(phase: PhaseName) -> str:
    kinds = []
    for path in DEFAULT_PATHS[phase]:
        category, area = _wanted(path)
        kinds.append(f"{area} {category}" if area else category)
    return " or ".join(kinds) + " tests"


def derive_selections(root: Path, phases: Sequence[PhaseName]) -> dict[PhaseName, DerivedSelection]:
    """For each phase, the test files the organizer classifies into its default folders."""
    files, unreadable = _classified_files(root)
    unread = (
        f"; {len(unreadable)} folder(s) could not be read, so their files are not classified: "
        + ", ".join(unreadable)
        if unreadable
        else ""
    )
    derived: dict[PhaseName, DerivedSelection] = {}
    for phase in phases:
        wanted = [_wanted(path) for path in DEFAULT_PATHS[phase]]
        chosen = tuple(
            sorted(
                info.path
                for info in files
                if any(
                    info.category == category and (area is None or info.functionality == area)
                    for category, area in wanted
                )
            )
        )
        kinds = _describe(phase)
        description = (
            f"{len(chosen)} test file(s) classified as {kinds}"
            if chosen
            else f"no test file is classified as {kinds}"
        ) + (
            f" (no {', '.join(DEFAULT_PATHS[phase])} folder: the phases select by the "
            "organizer's classification; set [tool.remediation.phases."
            f"{phase}] paths to choose{unread})"
        )
        derived[phase] = DerivedSelection(
            files=chosen, description=description, unreadable=unreadable
        )
        logger.info("phase %s selects %s", phase, description)
    return derived
