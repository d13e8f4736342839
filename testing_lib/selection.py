"""Which of a selection's configured paths exist in the target (a phase's, or isolation's),
and which folders it covers cannot be read (their tests would be left out)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.organizer.discovery import walk
from testing_lib.organizer.pytest_settings import read_pytest_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    configured: tuple[str, ...]
    existing: tuple[str, ...] = field(default=())
    missing: tuple[str, ...] = field(default=())
    # Set when the selection is empty on purpose (a phase selecting by classification found
    # no test of its kind): nothing to run, which is not the whole suite.
    empty_reason: str | None = None
    # Folders the selection covers that cannot be read (permission denied), relative to the
    # root ("." for the root itself): the tests in them are not run. A configured path that
    # cannot even be looked at is here and in neither `existing` nor `missing`.
    unreadable: tuple[str, ...] = field(default=())

    @property
    def whole_suite(self) -> bool:
        return not self.configured and self.empty_reason is None

    @property
    def runnable(self) -> bool:
        return self.empty_reason is None and (self.whole_suite or bool(self.existing))


def _unreadable(root: Path, paths: Sequence[str] | None) -> list[str]:
    """The folders that cannot be read among `paths` (node ids keep `::`) and under them;
    None: those pytest recurses into for the whole suite (its testpaths, else the root)."""
    settings = read_pytest_settings(root)
    if paths is None:
        scope = [p for p in settings.testpaths if os.path.isdir(root / p)] or [""]
    else:
        scope = [path.split("::", 1)[0] for path in paths]
    if not scope:
        return []
    walked = walk(root, settings.norecursedirs, under=scope)
    if walked.unreadable:
        logger.warning(
            "cannot read %d folder(s) of the selection in %s, so the tests in them are not run: %s",
            len(walked.unreadable),
            root,
            walked.describe_unreadable(),
        )
    return walked.unreadable


def resolve_paths(root: Path, configured: Sequence[str]) -> Selection:
    """Split `configured` into the paths present under `root` and those missing (node ids
    keep `::`); note the folders under them that cannot be read (with no paths: the
    folders of the whole suite)."""
    existing: list[str] = []
    missing: list[str] = []
    blocked: list[str] = []
    for raw in configured:
        path_part = raw.split("::", 1)[0]
        try:
            (root / path_part).stat()
        except (FileNotFoundError, NotADirectoryError, ValueError):
            missing.append(raw)
        except OSError as exc:  # a folder on the way cannot be searched
            logger.warning(
                "cannot look at %s in %s (%s), so it is left out of the selection",
                path_part,
                root,
                exc.strerror or type(exc).__name__,
            )
            blocked.append(path_part)
        else:
            existing.append(raw)
    unreadable = _unreadable(root, existing if configured else None)
    return Selection(
        configured=tuple(configured),
        existing=tuple(existing),
        missing=tuple(missing),
        unreadable=tuple(sorted({*blocked, *unreadable})),
    )


def resolve_selection(target: TargetConfig, phase: PhaseName) -> Selection:
    """Split the phase's paths into those present and those missing (node ids keep `::`)."""
    paths = target.phase(phase).paths
    if phase not in target.derived_selections:
        return resolve_paths(target.root, paths)
    # Chosen by classifying every file under the root: a folder that cannot be read
    # anywhere may hold tests of this phase's kind.
    everywhere = _unreadable(target.root, [""])
    if not paths:
        return Selection(
            configured=(),
            empty_reason=target.derived_selections[phase],
            unreadable=tuple(everywhere),
        )
    selection = resolve_paths(target.root, paths)
    return replace(selection, unreadable=tuple(sorted({*selection.unreadable, *everywhere})))


def resolve_isolation_selection(target: TargetConfig) -> Selection:
    """The same for what nightly isolation validation runs (`TargetConfig.isolation_run`)."""
    return resolve_paths(target.root, target.isolation_run().paths)
