"""What a long isolation run is doing now: its stage and how far through it.

The validator and the fixes update one `IsolationProgress` as they go (from several
threads); whoever shows it (the CLI's status line on a terminal, a line every 30 s into a
file or a CI log) reads `line()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EVERY_S = 30.0  # a line at least this often, wherever the output goes


class IsolationProgress:
    """The current stage ("running the suite in 4 orders"), steps done of its total, and the
    time since the run started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._stage = "collecting the suite"
        self._done = 0
        self._total = 0

    def stage(self, name: str, total: int = 0) -> None:
        with self._lock:
            self._stage, self._done, self._total = name, 0, total

    def step(self) -> None:
        with self._lock:
            self._done += 1

    def line(self) -> str:
        with self._lock:
            stage, done, total = self._stage, self._done, self._total
        elapsed = int(time.monotonic() - self._started)
        count = f" ({done} of {total} done)" if total else ""
        return f"{stage}{count}, {elapsed // 60}m{elapsed % 60:02d}s elapsed"


@contextmanager
def heartbeat(
    progress: IsolationProgress, emit: Callable[[str], None], every_s: float = EVERY_S
) -> Iterator[None]:
    """While the block runs, `emit(progress.line())` every `every_s` seconds (a log line,
    for runs nobody watches on a terminal: a scheduled flow, a CI job)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_s):
            emit(progress.line())

    thread = threading.Thread(target=beat, name="isolation-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
