"""Stopping is final: SIGTERM, SIGINT and SIGHUP end a command within seconds, whatever it waits on.

A signal stops every pytest run (their process groups) and raises KeyboardInterrupt in
the main thread, so the command's own cleanup runs and it can save what it has. If the
process has not ended `grace_s` later (its main thread stuck in a call to a server that
no longer answers, say), `on_deadline` runs and the process exits at once with 128 + the
signal's number; what the engine started dies with it (the engine watchdog sees to that).

Prefect swaps in its own SIGTERM handler while a flow runs, so the signal is also noticed
below Python's handlers: the interpreter writes every caught signal's number to a wakeup
pipe, which a thread of ours reads. That thread starts the deadline whichever handler
is installed.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from testing_lib.runner.process import request_shutdown

logger = logging.getLogger(__name__)

STOP_GRACE_S = 6.0  # a stopped command is gone within this, plus the time to save a report
_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stop:
    """What stopped the command, once a signal came, and the deadline that makes it final."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.signum: int | None = None
        self.on_deadline: Callable[[Stop], None] | None = None
        self._lock = threading.Lock()
        self._final = threading.Lock()

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "a signal"

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGTERM)

    def seen(self, signum: int) -> bool:
        """Note a stop signal; True the first time. Every run is asked to stop."""
        with self._lock:
            first = self.signum is None
            if first:
                self.signum = signum
        request_shutdown()  # pytest runs waited on in any thread stop too
        if first:
            timer = threading.Timer(self.grace_s, self.final, args=(self.on_deadline,))
            timer.daemon = True
            timer.start()
        return first

    def final(self, on_deadline: Callable[[Stop], None] | None) -> None:
        """Run `on_deadline` (once, whoever calls first), then exit the process."""
        if not self._final.acquire(blocking=False):
            return
        try:
            if on_deadline is not None:
                on_deadline(self)
        except BaseException:  # exiting regardless: the stop must be final
            logger.exception("could not save the stopped run")
        finally:
            os._exit(self.exit_code)


_current: list[Stop] = []  # the Stop the wakeup pipe reports to (one pipe per process)


def _watch_wakeup_pipe(stop: Stop) -> None:
    """Notice stop signals whichever Python handler is installed (see the module's doc)."""
    first = not _current
    _current[:] = [stop]
    if not first:
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)

    def _read() -> None:
        while True:
            for signum in os.read(read_end, 64):
                if signum in _SIGNALS:
                    _current[0].seen(signum)

    threading.Thread(target=_read, name="stop-signals", daemon=True).start()


def stop_on_signals(
    on_deadline: Callable[[Stop], None] | None = None, grace_s: float = STOP_GRACE_S
) -> Stop:
    """Install the handlers (from the main thread); the `Stop` says which signal came."""
    stop = Stop(grace_s)
    stop.on_deadline = on_deadline

    def _handle(signum: int, frame: object) -> None:
        stop.seen(signum)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in _SIGNALS:
        signal.signal(signum, _handle)
    _watch_wakeup_pipe(stop)
    return stop


@contextmanager
def final_stop(
    on_deadline: Callable[[Stop], None] | None = None, grace_s: float = STOP_GRACE_S
) -> Iterator[Stop]:
    """`stop_on_signals` for the length of a block; the previous handlers and wakeup fd
    come back after it (a command called in-process, by a test, leaves nothing behind)."""
    previous = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    wakeup_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup_fd)
    stop = stop_on_signals(on_deadline, grace_s)
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(wakeup_fd)
