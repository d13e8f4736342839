"""The order plugin's forked child: run one worker request's tests in the collected session.

Part of the ``remediation_order`` plugin (imported by name, from the same folder on the
target's PYTHONPATH); standard library and pytest only, Python 3.9 syntax. The worker
forks a child per request; the child lets go of the worker's socket and signal set-up,
takes capture files and a temporary folder of its own, runs exactly the requested tests
in the requested order (session fixtures are set up afresh, as in a new pytest process)
and writes their events to the request's results file. It always ends in ``os._exit``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import tempfile
import traceback
from typing import Any

import pytest
from remediation_order_leaks import LeakHooks, LeakTracker
from remediation_order_results import Recorder  # type: ignore[import-not-found]

CHILD_ERROR_EXIT = 70


def fork_child(
    session: pytest.Session,
    sock: socket.socket,
    wake_read: int,
    wake_write: int,
    by_id: dict[str, pytest.Item],
    message: dict[str, Any],
) -> int:
    """Fork a child that runs ``message``'s request; return its pid (in the worker)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = CHILD_ERROR_EXIT
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        os.close(wake_read)
        os.close(wake_write)
        code = _run_child(session, by_id, message)
    except BaseException:  # noqa: BLE001  the child must always reach os._exit
        try:
            with open(message["results"], "a", encoding="utf-8") as stream:
                stream.write(
                    json.dumps({"event": "error", "message": traceback.format_exc()}) + "\n"
                )
        except OSError:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    return 0  # unreachable


def _fresh_capture(config: pytest.Config) -> None:
    """Give the child capture files of its own (the worker's are shared after fork)."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is None or getattr(capman, "_global_capturing", None) is None:
        return
    capman.stop_global_capturing()
    capman.start_global_capturing()


def _private_tmp(config: pytest.Config, results: str) -> None:
    """Give this child a temporary folder of its own: children running at once (and the
    tests in them) never share a scratch path. It lives beside the request's results file,
    in the engine's scratch folder, which the engine removes."""
    folder = results + ".tmp"
    os.makedirs(folder, exist_ok=True)
    for name in ("TMPDIR", "TEMP", "TMP"):
        os.environ[name] = folder
    tempfile.tempdir = None  # recomputed from TMPDIR on next use
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None and getattr(factory, "_given_basetemp", None) is None:
        try:
            factory._basetemp = None  # tmp_path's base follows TMPDIR too
        except AttributeError:
            pass


def _run_child(
    session: pytest.Session, by_id: dict[str, pytest.Item], message: dict[str, Any]
) -> int:
    config = session.config
    with open(message["results"], "a", encoding="utf-8") as stream:
        recorder = Recorder(stream)
        missing = [nodeid for nodeid in message["ids"] if nodeid not in by_id]
        if missing:
            recorder.write(
                "error", message="not collected by the worker: {}".format(", ".join(missing[:5]))
            )
            return CHILD_ERROR_EXIT
        _fresh_capture(config)
        _private_tmp(config, message["results"])
        config.pluginmanager.register(recorder, "remediation-order-recorder")
        if message.get("leaks"):
            # the project's modules: under its root, which may lie above pytest's rootdir
            root = os.environ.get("REMEDIATION_PROJECT_ROOT") or str(config.rootpath)
            tracker = LeakTracker(root, recorder)
            config.pluginmanager.register(LeakHooks(tracker), "remediation-order-leaks")
        items = [by_id[nodeid] for nodeid in message["ids"]]
        session.items = items
        config.option.maxfail = 0  # every requested test runs: outcomes are what we read
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldstop:
                break
    return 0
