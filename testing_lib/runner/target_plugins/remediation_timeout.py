"""Per-test timeout for target interpreters that lack pytest-timeout.

The runner loads this plugin (``-p remediation_timeout``) only when a per-test limit is
asked for and the target cannot import pytest_timeout; it runs in the target's own
interpreter, so it uses the standard library and pytest only, in Python 3.9 syntax.

It is inert unless ``REMEDIATION_TEST_TIMEOUT_S`` holds a positive number of seconds.
Each test (setup, call and teardown together) gets that long:

- at the limit, ``SIGALRM`` fails the test where it is, with pytest-timeout's wording
  (``Failed: Timeout >5s``) and the stack it was stopped in, and the run goes on;
- a test that does not stop then (blocked in C code, signals swallowed) is ended for
  good after a grace period: the stacks of every thread go to stderr, naming the test,
  and the process exits, so the run ends with that test as the last one started.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
import traceback
from collections.abc import Generator
from typing import Any

import pytest

TIMEOUT_ENV = "REMEDIATION_TEST_TIMEOUT_S"
EXIT_CODE = 70  # the hung test never ended: the session cannot finish

# pytest captures file descriptor 2 while a test runs; keep the real stderr, taken when
# ``-p`` imports this module (before capturing starts), for the last words of a hung run.
try:
    _REAL_STDERR: Any = os.fdopen(os.dup(2), "w")
except OSError:  # no stderr at all
    _REAL_STDERR = None


def _limit() -> float | None:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value > 0 else None


def _grace(limit: float) -> float:
    return max(2.0, min(limit, 30.0))


class _Guard:
    """The limit of one test: an alarm in the main thread, a watchdog thread behind it."""

    def __init__(self, nodeid: str, limit: float) -> None:
        self.nodeid = nodeid
        self.limit = limit
        self._alarm = hasattr(signal, "SIGALRM") and (
            threading.current_thread() is threading.main_thread()
        )
        self._previous: Any = None
        self._watchdog = threading.Timer(limit + _grace(limit), self._end_for_good)
        self._watchdog.daemon = True

    def arm(self) -> None:
        if self._alarm:
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.limit)
        self._watchdog.start()

    def disarm(self) -> None:
        self._watchdog.cancel()
        if self._alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous or signal.SIG_DFL)

    def _on_alarm(self, signum: int, frame: Any) -> None:
        stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
        pytest.fail(
            f"Timeout >{self.limit:g}s (per-test limit) in {self.nodeid}\n\n{stack}",
            pytrace=False,
        )

    def _end_for_good(self) -> None:
        out = _REAL_STDERR or sys.__stderr__
        if out is not None:
            headline = f"+++ Timeout >{self.limit:g}s: {self.nodeid} did not stop; ending the run"
            out.write(f"\n{headline}. Stacks:\n")
            out.flush()
            faulthandler.dump_traceback(file=out, all_threads=True)
            out.write(f"{headline}.\n")  # again, last: the end of the log is what is read
            out.flush()
        os._exit(EXIT_CODE)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    limit = _limit()
    if limit is None:
        yield
        return
    guard = _Guard(item.nodeid, limit)
    guard.arm()
    try:
        yield
    finally:
        guard.disarm()
