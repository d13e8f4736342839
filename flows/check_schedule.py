"""Which of a phase's checks run when: one pass over the selection, plus what must run again.

- judged from the gate: checks with a `judge` read the records of the gate's own pytest run,
  which carries every such check's observers and environment;
- alongside the gate: checks that run something of their own (a static scan, a small
  self-test) start before the gate and run concurrently with it;
- after the gate: checks that read what the gate stored (`after_gate`), and in deep runs
  the deep checks' extra runs (other orders, CI profiles), one after another;
- left out: deep checks without a judge in a daytime run, listed in the phase report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from testing_lib.checks import PhaseCheck
from testing_lib.checks.observed import Observer, unique_observers
from testing_lib.report import CheckResult


@dataclass(frozen=True)
class CheckSchedule:
    checks: tuple[PhaseCheck, ...]  # all of the phase's, in its order
    alongside: tuple[PhaseCheck, ...]
    from_gate: tuple[PhaseCheck, ...]
    after: tuple[PhaseCheck, ...]
    left_out: tuple[PhaseCheck, ...]
    observers: tuple[Observer, ...]  # what the gate carries
    gate_env: dict[str, str]  # what the gate's environment adds

    def in_order(self, results: Sequence[CheckResult]) -> list[CheckResult]:
        """`results` in the phase's order of its checks."""
        rank = {check.name: i for i, check in enumerate(self.checks)}
        return sorted(results, key=lambda r: rank.get(r.name, len(rank)))


def schedule_checks(checks: Sequence[PhaseCheck], *, deep: bool) -> CheckSchedule:
    alongside: list[PhaseCheck] = []
    from_gate: list[PhaseCheck] = []
    after: list[PhaseCheck] = []
    left_out: list[PhaseCheck] = []
    for check in checks:
        if check.deep and deep:
            after.append(check)
        elif check.judge is not None:
            from_gate.append(check)
        elif check.deep:
            left_out.append(check)
        elif check.after_gate:
            after.append(check)
        else:
            alongside.append(check)
    gate_env: dict[str, str] = {}
    for check in checks:
        gate_env.update(check.gate_env)
    return CheckSchedule(
        checks=tuple(checks),
        alongside=tuple(alongside),
        from_gate=tuple(from_gate),
        after=tuple(after),
        left_out=tuple(left_out),
        observers=unique_observers(check.observers for check in checks),
        gate_env=gate_env,
    )
