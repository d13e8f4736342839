"""Time limits every run inside a block obeys: one deadline, one per-test limit.

A phase's `timeout_s` bounds the whole phase, checks included. The phase opens
`run_limits(seconds=..., test_timeout_s=...)`; every process the runner starts inside it
(gates, checks, CI profiles, extra orders, replays) is stopped, with its process group,
when the deadline comes, whatever limit its caller asked for, and every pytest run gets
the per-test limit unless its caller set one. Blocks nest: an inner block can only
shorten the deadline. The limits live in a context variable, so they follow the code
into Prefect task threads; a plain thread must be started in a copy of the context.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from testing_lib.exceptions import RunnerError


class TimeLimitExhausted(RunnerError):
    """No time is left before the deadline of the enclosing `run_limits` block."""


@dataclass(frozen=True)
class RunLimits:
    deadline: float | None = None  # time.monotonic() value; None: no deadline
    test_timeout_s: float | None = None
    label: str = "the time limit"  # what the deadline is, for messages

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()


_NO_LIMITS = RunLimits()
_LIMITS: ContextVar[RunLimits | None] = ContextVar("remediation_run_limits", default=None)


def current_limits() -> RunLimits:
    return _LIMITS.get() or _NO_LIMITS


@contextmanager
def run_limits(
    *, seconds: float | None = None, test_timeout_s: float | None = None, label: str = ""
) -> Iterator[RunLimits]:
    """Runs started inside end within `seconds` (and the enclosing blocks' deadlines)."""
    outer = current_limits()
    deadline = outer.deadline
    if seconds is not None:
        mine = time.monotonic() + max(0.0, seconds)
        deadline = mine if deadline is None else min(deadline, mine)
    limits = RunLimits(
        deadline=deadline,
        test_timeout_s=test_timeout_s if test_timeout_s is not None else outer.test_timeout_s,
        label=label or outer.label,
    )
    token = _LIMITS.set(limits)
    try:
        yield limits
    finally:
        _LIMITS.reset(token)


def bounded(timeout_s: float) -> float:
    """`timeout_s`, shortened to the time left before the current deadline.

    Raises TimeLimitExhausted when the deadline has passed: starting a run then would
    only be killed at once."""
    limits = current_limits()
    remaining = limits.remaining()
    if remaining is None:
        return timeout_s
    if remaining <= 0:
        raise TimeLimitExhausted(f"no time left within {limits.label}: the run was not started")
    return min(timeout_s, remaining)
