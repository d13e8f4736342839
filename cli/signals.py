"""SIGTERM and SIGHUP stop a command as Ctrl-C does: its cleanup runs, nothing is orphaned."""

from __future__ import annotations

import signal

from testing_lib.runner.process import request_shutdown


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP (a closed terminal) stop like Ctrl-C: cleanup runs, no orphans."""

    def _interrupt(signum: int, frame: object) -> None:
        request_shutdown()  # pytest runs waited on in other threads stop too
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGHUP, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
