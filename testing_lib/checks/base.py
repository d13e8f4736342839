"""What a phase check is: a named function from a target to a `CheckResult`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from testing_lib.config.target import TargetConfig
from testing_lib.report import CheckResult


@dataclass(frozen=True)
class PhaseCheck:
    name: str
    description: str
    run: Callable[[TargetConfig], CheckResult]
    # Runs after the phase's pytest gate (it reads what the gate wrote, e.g. its metrics);
    # the others run before it.
    after_gate: bool = False
