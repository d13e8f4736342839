"""What a phase check is: a named function from a target to a `CheckResult`.

How the phase runs a check depends on what it needs:
- a check with `judge` reads the phase gate's own pytest run, which carries its `observers`
  (and `gate_env`): no run of its own;
- a `deep` check runs the selection again (other orders, CI profiles); it runs only in deep
  runs (`remediate run --deep`, the nightly flow), and in daytime runs is listed as not run,
  or, when it also has `judge`, judged from the gate's run instead;
- any other check runs on its own, concurrently with the gate (or after it, `after_gate`).
`run` always works alone: it runs whatever the check needs (used outside a phase run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from testing_lib.checks.observed import InstrumentedRun, NotObserved, Observer
from testing_lib.config.target import TargetConfig
from testing_lib.report import CheckResult

Judge = Callable[[TargetConfig, "InstrumentedRun | NotObserved"], CheckResult]


@dataclass(frozen=True)
class PhaseCheck:
    name: str
    description: str
    run: Callable[[TargetConfig], CheckResult]
    # Runs after the phase's pytest gate (it reads what the gate wrote, e.g. its metrics);
    # the others run concurrently with it.
    after_gate: bool = False
    # Judged from the gate's run, which carries these observers and this environment.
    observers: tuple[Observer, ...] = ()
    judge: Judge | None = None
    gate_env: Mapping[str, str] = field(default_factory=dict)
    # Runs the selection again: only in deep runs (see the module docstring).
    deep: bool = False
