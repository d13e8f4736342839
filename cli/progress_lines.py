"""A long run's progress, shown whatever the output is: the status line on a terminal, one
line at least every 30 s (`REMEDIATION_PROGRESS_EVERY_S`) into a file, a pipe or a CI log."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.status import Status
from rich.text import Text

from cli.console import err

EVERY_S_ENV = "REMEDIATION_PROGRESS_EVERY_S"
DEFAULT_EVERY_S = 30.0
TERMINAL_EVERY_S = 1.0


def _interval() -> float:
    try:
        return max(0.05, float(os.environ.get(EVERY_S_ENV, DEFAULT_EVERY_S)))
    except ValueError:
        return DEFAULT_EVERY_S


@contextmanager
def showing_progress(line: Callable[[], str], status: Status) -> Iterator[None]:
    """While the block runs, show `line()`: in `status` on a terminal, else as a printed
    line on stderr every interval."""
    terminal = err.is_terminal
    interval = TERMINAL_EVERY_S if terminal else _interval()
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(interval):
            if terminal:
                status.update(line())
            else:
                err.print(Text(f"… {line()}"), soft_wrap=True)

    thread = threading.Thread(target=report, name="progress-lines", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
