"""The engine's watchdog: whatever the engine started dies with it, even after SIGKILL.

`engine_watchdog()` tags the engine's environment (every child inherits the tag: Prefect's
embedded server, served flow runs, pytest runs and whatever those start) and starts this
module as a small process in its own session, holding the read end of a pipe whose write
end only the engine has. When the engine ends normally it writes ``stop`` first and the
watchdog just exits. When the engine dies any other way the pipe closes without it (or
the watchdog's parent changes); the watchdog then stops every process carrying the tag:
SIGTERM, then SIGKILL after a short grace.
"""

from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from testing_lib.runner.lineage import ENGINE_ENV, ancestry, new_tag, stop_processes, tagged

logger = logging.getLogger(__name__)

STOP = b"stop\n"
POLL_S = 1.0
SWEEPS = 5  # processes may still be starting children while the first sweep runs


@contextmanager
def engine_watchdog() -> Iterator[str]:
    """Tag this process's children and watch over them until the block ends."""
    tag = new_tag()
    previous = os.environ.get(ENGINE_ENV)
    os.environ[ENGINE_ENV] = tag
    try:
        watchdog = subprocess.Popen(
            [sys.executable, "-m", __name__, str(os.getpid()), tag, str(os.getppid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C or a group kill of the engine spares it
        )
    except OSError as exc:
        logger.warning("could not start the engine's watchdog: %s", exc)
        watchdog = None
    try:
        yield tag
    finally:
        if watchdog is not None:
            _release(watchdog)
        if previous is None:
            os.environ.pop(ENGINE_ENV, None)
        else:
            os.environ[ENGINE_ENV] = previous


def _release(watchdog: subprocess.Popen[bytes]) -> None:
    assert watchdog.stdin is not None
    try:
        watchdog.stdin.write(STOP)
        watchdog.stdin.close()
    except OSError:
        pass  # it is gone already
    try:
        watchdog.wait(timeout=10)
    except subprocess.TimeoutExpired:
        watchdog.kill()
        watchdog.wait()


def watch(parent: int, tag: str, starter: int | None = None) -> int:
    """Wait for `parent` to stop; sweep its tagged processes unless it said `stop`.

    Whatever started the engine (a shell, a test runner's worker, a service) is spared,
    with its process group: it is known now, while the engine lives; once the engine is
    gone this process has a new parent and the engine's line is lost. `starter`, the
    engine's parent as the engine saw it, keeps that line even if the engine died first."""
    spare = ancestry(parent) | (ancestry(starter) if starter is not None else frozenset())
    received = b""
    while os.getppid() == parent:
        ready, _, _ = select.select([0], [], [], POLL_S)
        if not ready:
            continue
        chunk = os.read(0, 64)
        if not chunk:
            break  # the pipe closed: the engine is gone, or going
        received += chunk
        if received.endswith(STOP):
            return 0
    for _ in range(SWEEPS):
        left = tagged(ENGINE_ENV, tag, exclude=spare)
        if not left:
            break
        stop_processes(left, spare=spare)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return watch(int(args[0]), args[1], int(args[2]) if len(args) > 2 else None)


if __name__ == "__main__":
    sys.exit(main())
