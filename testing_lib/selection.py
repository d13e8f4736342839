"""Which of a phase's configured paths exist in the target."""

from __future__ import annotations

from dataclasses import dataclass, field

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig


@dataclass(frozen=True)
class Selection:
    configured: tuple[str, ...]
    existing: tuple[str, ...] = field(default=())
    missing: tuple[str, ...] = field(default=())

    @property
    def whole_suite(self) -> bool:
        return not self.configured

    @property
    def runnable(self) -> bool:
        return self.whole_suite or bool(self.existing)


def resolve_selection(target: TargetConfig, phase: PhaseName) -> Selection:
    """Split the phase's paths into those present and those missing (node ids keep `::`)."""
    configured = tuple(target.phase(phase).paths)
    existing: list[str] = []
    missing: list[str] = []
    for raw in configured:
        path_part = raw.split("::", 1)[0]
        (existing if (target.root / path_part).exists() else missing).append(raw)
    return Selection(configured=configured, existing=tuple(existing), missing=tuple(missing))
