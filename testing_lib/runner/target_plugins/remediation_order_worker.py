"""The order plugin's worker mode: collect once, then serve run requests by forking.

Part of the ``remediation_order`` plugin (which re-exports these hooks; this module is
imported by name, from the same folder on the target's PYTHONPATH); standard library and
pytest only, Python 3.9 syntax. Inert unless ``REMEDIATION_WORKER_SOCKET`` is set: the
path of a Unix socket the engine listens on. pytest collects once, then, instead of
running the tests, connects and serves requests. Each request names test ids, an order
and a results file; the worker forks a child from the collected session (see
``remediation_order_child``) and reports its exit. Several children may run at once.
Interpreter start-up and collection are paid once.

Protocol: one JSON object per line, both ways.

- worker -> engine, once: ``{"event": "ready", "pid", "rootdir", "ids", "errors",
  "python", "pytest"}``
- engine -> worker: ``{"op": "run", "req": N, "ids": [...], "results": PATH,
  "timeout": SECONDS, "leaks": BOOL}`` or ``{"op": "quit"}``
- worker -> engine: ``{"event": "done", "req": N, "exit": CODE, "timed_out": BOOL}``
  (``exit`` is the child's exit status, negative for a signal; 0 when it ran)

The results file's lines are described in ``remediation_order_results``.
"""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import sys
import time
from typing import Any

import pytest
from remediation_order_child import fork_child  # type: ignore[import-not-found]

WORKER_SOCKET_ENV = "REMEDIATION_WORKER_SOCKET"


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
                    pid = fork_child(session, sock, wake_read, wake_write, by_id, message)
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
