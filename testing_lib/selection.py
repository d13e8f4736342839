"""Which of a selection's configured paths exist in the target (a phase's, or isolation's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig


@dataclass(frozen=True)
class Selection:
    configured: tuple[str, ...]
    existing: tuple[str, ...] = field(default=())
    missing: tuple[str, ...] = field(default=())
    # Set when the selection is empty on purpose (a phase selecting by classification found
    # no test of its kind): nothing to run, which is not the whole suite.
    empty_reason: str | None = None

    @property
    def whole_suite(self) -> bool:
        return not self.configured and self.empty_reason is None

    @property
    def runnable(self) -> bool:
        return self.empty_reason is None and (self.whole_suite or bool(self.existing))


def resolve_paths(root: Path, configured: Sequence[str]) -> Selection:
    """Split `configured` into the paths present under `root` and those missing (node ids
    keep `::`)."""
    existing: list[str] = []
    missing: list[str] = []
    for raw in configured:
        path_part = raw.split("::", 1)[0]
        (existing if (root / path_part).exists() else missing).append(raw)
    return Selection(configured=tuple(configured), existing=tuple(existing), missing=tuple(missing))


def resolve_selection(target: TargetConfig, phase: PhaseName) -> Selection:
    """Split the phase's paths into those present and those missing (node ids keep `::`)."""
    paths = target.phase(phase).paths
    if phase in target.derived_selections and not paths:
        return Selection(configured=(), empty_reason=target.derived_selections[phase])
    return resolve_paths(target.root, paths)


def resolve_isolation_selection(target: TargetConfig) -> Selection:
    """The same for what nightly isolation validation runs (`TargetConfig.isolation_run`)."""
    return resolve_paths(target.root, target.isolation_run().paths)
