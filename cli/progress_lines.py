"""A long run's progress, shown whatever the output is: the status line on a terminal, one
line at least every 30 s (`REMEDIATION_PROGRESS_EVERY_S`) into a file, a pipe or a CI log."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from rich.status import Status
from rich.text import Text

from cli.console import err
from testing_lib.isolation.validation_progress import EVERY_S, IsolationProgress, heartbeat

EVERY_S_ENV = "REMEDIATION_PROGRESS_EVERY_S"
TERMINAL_EVERY_S = 1.0


def _interval() -> float:
    try:
        return max(0.05, float(os.environ.get(EVERY_S_ENV, EVERY_S)))
    except ValueError:
        return EVERY_S


@contextmanager
def showing_progress(progress: IsolationProgress, status: Status) -> Iterator[None]:
    """While the block runs, show `progress`: in `status` on a terminal, else as a printed
    line on stderr every interval."""
    if err.is_terminal:
        status.update(progress.line())  # at once: the command has started
        with heartbeat(progress, status.update, TERMINAL_EVERY_S):
            yield
        return

    def emit(line: str) -> None:
        err.print(Text(f"… {line}"), soft_wrap=True)

    emit(progress.line())  # at once, then every interval: a log shows it started, and lives
    with heartbeat(progress, emit, _interval()):
        yield
