"""Ordering and fork-worker pytest plugin injected into a target's pytest run.

Like ``remediation_collector`` it is put on the target's PYTHONPATH and loaded with
``-p remediation_order``; the target interpreter usually lacks the remediation engine, so
this module uses the standard library and pytest only, with Python 3.9-compatible syntax.
It is inert unless one of these variables is set:

``REMEDIATION_ORDER_FILE``
    A file with one node id per line. After collection the session runs exactly those
    tests, in that order (ids pytest did not collect are a usage error naming them).

``REMEDIATION_WORKER_SOCKET``
    The path of a Unix socket the engine listens on. pytest collects once, then, instead
    of running the tests, connects and serves requests. Each request names test ids, an
    order and a results file; the worker forks a child from the collected session, the
    child runs exactly those tests in that order (session fixtures are set up afresh in
    the child, as in a new pytest process) and writes one JSON line per test. Several
    children may run at once. Interpreter start-up and collection are paid once.

Protocol: one JSON object per line, both ways.

- worker -> engine, once: ``{"event": "ready", "pid", "rootdir", "ids", "errors",
  "python", "pytest"}``
- engine -> worker: ``{"op": "run", "req": N, "ids": [...], "results": PATH,
  "timeout": SECONDS, "leaks": BOOL}`` or ``{"op": "quit"}``
- worker -> engine: ``{"event": "done", "req": N, "exit": CODE, "timed_out": BOOL}``
  (``exit`` is the child's exit status, negative for a signal; 0 when it ran)

Results file lines: ``{"event": "start", "nodeid"}``, ``{"event": "result", "nodeid",
"outcome", "duration_ms", "message"}``, ``{"event": "leak", "nodeid", "state", "detail"}``,
``{"event": "error", "message"}`` (the child could not run the request).
"""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import sys
import tempfile
import time
import traceback
from typing import Any

import pytest
from remediation_order_leaks import LeakHooks, LeakTracker

ORDER_FILE_ENV = "REMEDIATION_ORDER_FILE"
WORKER_SOCKET_ENV = "REMEDIATION_WORKER_SOCKET"

_PHASES = ("setup", "call", "teardown")
_CHILD_ERROR_EXIT = 70


# ---------------------------------------------------------------------------------------
# One-shot mode: run the ids of a file, in its order.


def _read_ids(path: str) -> list[str]:
    with open(path, encoding="utf-8") as stream:
        return [line.rstrip("\n") for line in stream if line.strip()]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    path = os.environ.get(ORDER_FILE_ENV)
    if not path:
        return
    wanted = _read_ids(path)
    by_id = {item.nodeid: item for item in items}
    missing = [nodeid for nodeid in wanted if nodeid not in by_id]
    if missing:
        raise pytest.UsageError(
            f"{path} lists {len(missing)} test id(s) pytest did not collect here, "
            f"e.g. {missing[0]!r}: regenerate the order file from this collection"
        )
    selected = [by_id[nodeid] for nodeid in wanted]
    chosen = set(wanted)
    deselected = [item for item in items if item.nodeid not in chosen]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected


# ---------------------------------------------------------------------------------------
# Per-test outcomes, folded like the collector does (setup/call/teardown -> one outcome).


def _first_error_line(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if message:
        return str(message).strip().splitlines()[0]
    try:
        text = str(report.longreprtext)
    except AttributeError:
        text = str(report.longrepr)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _fold(reports: list[Any]) -> tuple[str, str | None]:
    for when, outcome in (("setup", "error"), ("call", "failed"), ("teardown", "error")):
        for report in reports:
            if report.failed and report.when == when:
                return outcome, _first_error_line(report)
    for report in reports:
        if report.failed and report.when not in _PHASES:
            return "failed", _first_error_line(report)
    if any(r.skipped and not hasattr(r, "context") for r in reports):
        return "skipped", None
    return "passed", None


class _Recorder:
    """Writes the child's per-test events to its results file."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._reports: dict[str, list[Any]] = {}

    def write(self, event: str, **fields: Any) -> None:
        record = {"event": event}
        record.update(fields)
        self._stream.write(json.dumps(record, default=str) + "\n")
        self._stream.flush()

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._reports[nodeid] = []
        self.write("start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        reports = self._reports.pop(nodeid, [])
        if not reports:
            return
        outcome, message = _fold(reports)
        duration_ms = sum(float(getattr(r, "duration", 0.0) or 0.0) for r in reports) * 1000.0
        self.write(
            "result", nodeid=nodeid, outcome=outcome, duration_ms=duration_ms, message=message
        )


# ---------------------------------------------------------------------------------------
# Worker mode: collect once, fork a child per request.


class _Channel:
    """Newline-delimited JSON over a connected stream socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        self.sock.sendall((json.dumps(message) + "\n").encode("utf-8"))

    def receive_available(self) -> list[dict[str, Any]] | None:
        """Messages now complete after one recv; None when the engine closed the socket."""
        chunk = self.sock.recv(65536)
        if not chunk:
            return None
        self._buffer += chunk
        messages = []
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            if line.strip():
                messages.append(json.loads(line.decode("utf-8")))
        return messages


_collect_errors: list[dict[str, str]] = []


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if os.environ.get(WORKER_SOCKET_ENV) and report.failed:
        try:
            text = str(report.longreprtext)
        except AttributeError:
            text = str(report.longrepr)
        _collect_errors.append({"nodeid": report.nodeid, "message": text})


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    path = os.environ.get(WORKER_SOCKET_ENV)
    if not path or hasattr(session.config, "workerinput"):
        return None
    if getattr(session.config.option, "numprocesses", None):
        raise pytest.UsageError(
            "the isolation worker cannot run under pytest-xdist: remove -n from the target's "
            "addopts for this run (pass -n 0 or -p no:xdist as extra pytest arguments)"
        )
    if not hasattr(os, "fork"):
        raise pytest.UsageError("the isolation worker needs os.fork (Linux or macOS)")
    _serve(session, path)
    return True


def _serve(session: pytest.Session, path: str) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    channel = _Channel(sock)
    items = list(session.items)
    by_id = {item.nodeid: item for item in items}
    channel.send(
        {
            "event": "ready",
            "pid": os.getpid(),
            "rootdir": str(session.config.rootpath),
            "ids": [item.nodeid for item in items],
            "errors": _collect_errors,
            "python": sys.version.split()[0],
            "pytest": pytest.__version__,
        }
    )
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    os.set_blocking(wake_read, False)
    previous_wakeup = signal.set_wakeup_fd(wake_write)
    previous_handler = signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    children: dict[int, tuple[int, float]] = {}  # pid -> (request, deadline)
    try:
        while True:
            _reap(channel, children)
            timeout = None
            if children:
                timeout = max(
                    0.0, min(deadline for _, deadline in children.values()) - time.monotonic()
                )
            try:
                readable, _, _ = select.select([sock.fileno(), wake_read], [], [], timeout)
            except InterruptedError:
                continue
            if wake_read in readable:
                try:
                    while os.read(wake_read, 512):
                        pass
                except BlockingIOError:
                    pass
            if sock.fileno() not in readable:
                continue
            try:
                messages = channel.receive_available()
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            if messages is None:
                break
            stop = False
            for message in messages:
                if message.get("op") == "quit":
                    stop = True
                    break
                if message.get("op") == "run":
                    pid = _fork_child(session, sock, wake_read, wake_write, by_id, message)
                    children[pid] = (
                        int(message["req"]),
                        time.monotonic() + float(message.get("timeout") or 3600),
                    )
            if stop:
                break
    finally:
        for pid in list(children):
            _kill(pid)
        signal.signal(signal.SIGCHLD, previous_handler)
        signal.set_wakeup_fd(previous_wakeup)
        os.close(wake_read)
        os.close(wake_write)
        sock.close()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _reap(channel: _Channel, children: dict[int, tuple[int, float]]) -> None:
    now = time.monotonic()
    for pid, (request, deadline) in list(children.items()):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        timed_out = False
        if done == 0:
            if now < deadline:
                continue
            _kill(pid)
            timed_out = True
            code = -int(signal.SIGKILL)
        elif os.WIFSIGNALED(status):
            code = -os.WTERMSIG(status)
        else:
            code = os.WEXITSTATUS(status)
        del children[pid]
        channel.send({"event": "done", "req": request, "exit": code, "timed_out": timed_out})


def _fork_child(
    session: pytest.Session,
    sock: socket.socket,
    wake_read: int,
    wake_write: int,
    by_id: dict[str, pytest.Item],
    message: dict[str, Any],
) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = _CHILD_ERROR_EXIT
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
        recorder = _Recorder(stream)
        missing = [nodeid for nodeid in message["ids"] if nodeid not in by_id]
        if missing:
            recorder.write(
                "error", message="not collected by the worker: {}".format(", ".join(missing[:5]))
            )
            return _CHILD_ERROR_EXIT
        _fresh_capture(config)
        _private_tmp(config, message["results"])
        config.pluginmanager.register(recorder, "remediation-order-recorder")
        if message.get("leaks"):
            tracker = LeakTracker(str(config.rootpath), recorder)
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
