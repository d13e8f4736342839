"""`ForkWorker`: one pytest process that collects once and runs test lists in forked children.

The engine side of the injected `remediation_order` plugin's worker mode. The pytest process
is started with the target's interpreter through `run_in_process_group` (in a thread, so its
time limit and process-group clean-up apply) and connects back over a Unix socket. Each
`run(ids)` asks it to fork a child from the collected session and run exactly `ids` in that
order: no interpreter start-up and no collection per run. Runs may overlap (`jobs`).
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import shlex
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from testing_lib.exceptions import RunnerError
from testing_lib.isolation.order_models import StateLeak
from testing_lib.results import CollectionError, TestStatus
from testing_lib.runner.limits import bounded, current_limits
from testing_lib.runner.probe import require_pytest
from testing_lib.runner.process import ProcessOutcome, run_in_process_group
from testing_lib.runner.runner import (
    LOG_TAIL_CHARS,
    RESULTS_FILE_ENV,
    TEST_TIMEOUT_ENV,
    build_env,
    read_tail,
    timeout_args,
)

logger = logging.getLogger(__name__)

ORDER_PLUGIN = "remediation_order"
WORKER_SOCKET_ENV = "REMEDIATION_WORKER_SOCKET"
# Disable known test-randomising plugins: the worker decides the order.
WORKER_ARGS = ("-p", ORDER_PLUGIN, "-p", "no:randomly", "-p", "no:cacheprovider", "-q")
_FAILING = (TestStatus.FAILED, TestStatus.ERROR)
WORKER_GRACE_S = 30.0


@dataclass(frozen=True)
class ForkedRun:
    """What one forked execution of a test list did."""

    ids: tuple[str, ...]
    outcomes: dict[str, TestStatus]
    messages: dict[str, str | None]
    leaks: list[StateLeak]
    exit_code: int
    timed_out: bool
    error: str | None = None
    running: str | None = None  # started without a result (crash or time limit)
    duration_s: float = 0.0

    def failed(self, nodeid: str) -> bool:
        """`nodeid` failed or errored, or never finished (the child crashed or timed out)."""
        outcome = self.outcomes.get(nodeid)
        return outcome is None or outcome in _FAILING

    def failing(self) -> list[str]:
        return [nodeid for nodeid in self.ids if self.failed(nodeid)]


@dataclass
class WorkerInfo:
    pid: int
    rootdir: str
    ids: list[str]
    errors: list[CollectionError]
    python: str
    pytest: str


@dataclass
class _Pending:
    future: Future[dict[str, Any]] = field(default_factory=Future)


class ForkWorker:
    """A collected pytest session that runs test lists on request. Use as a context manager."""

    def __init__(
        self,
        *,
        root: Path,
        python: str,
        selection: Sequence[str] = (),
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        timeout_s: float = 900,
        run_timeout_s: float = 600,
        jobs: int = 1,
    ) -> None:
        if isinstance(selection, str):
            raise TypeError("selection must be a sequence of pytest arguments, not one string")
        if not hasattr(os, "fork"):
            raise RunnerError("isolation validation forks pytest workers: run it on Linux or macOS")
        self.root = Path(root)
        self.python = os.fspath(python)
        self.selection = list(selection)
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.timeout_s = timeout_s
        self.run_timeout_s = run_timeout_s
        self.jobs = max(1, jobs)
        self.runs = 0  # forked executions requested
        self.info: WorkerInfo | None = None
        self.command: list[str] = []
        self._scratch: Path | None = None
        self._deadline = 0.0
        self._slots = threading.BoundedSemaphore(self.jobs)
        self._send_lock = threading.Lock()
        self._counter = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._pending_lock = threading.Lock()
        self._connection: socket.socket | None = None
        self._process_thread: threading.Thread | None = None
        self._reader: threading.Thread | None = None
        self._outcome: ProcessOutcome | None = None
        self._start_error: BaseException | None = None
        self._closed = threading.Event()

    # -- life cycle -----------------------------------------------------------------------

    def __enter__(self) -> ForkWorker:
        try:
            self.start()
        except BaseException:
            self.close()  # a start that failed half-way: stop what it started, remove its folder
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def log_path(self) -> Path:
        assert self._scratch is not None
        return self._scratch / "worker.log"

    def log_tail(self) -> str:
        return read_tail(self.log_path, LOG_TAIL_CHARS) if self._scratch else ""

    def start(self) -> WorkerInfo:
        """Start pytest, wait for its collection, return what it collected."""
        if not self.root.is_dir():
            raise RunnerError(f"Cannot validate isolation in {self.root}: it is not a directory")
        info = require_pytest(self.python)
        self.timeout_s = bounded(self.timeout_s)  # the enclosing phase's deadline, if any
        test_timeout_s = current_limits().test_timeout_s
        own_timeout = test_timeout_s is not None and not info.has_pytest_timeout
        # AF_UNIX paths are limited to ~100 bytes: keep the directory short.
        self._scratch = Path(tempfile.mkdtemp(prefix="rem-iso-"))
        socket_path = self._scratch / "w.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(socket_path))
            listener.listen(1)
            listener.settimeout(0.2)
            child_env = build_env(self.env, self._scratch / "unused.jsonl", self._scratch / "tmp")
            child_env.pop(RESULTS_FILE_ENV, None)
            child_env[WORKER_SOCKET_ENV] = str(socket_path)
            child_env["PYTHONDONTWRITEBYTECODE"] = "1"
            if own_timeout and test_timeout_s is not None:
                child_env[TEST_TIMEOUT_ENV] = f"{test_timeout_s:g}"
            self.command = [
                self.python,
                "-m",
                "pytest",
                *WORKER_ARGS,
                *timeout_args(
                    test_timeout_s,
                    own_timeout=own_timeout,
                    autoload_disabled=bool(child_env.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")),
                ),
                *self.extra_args,
                # The worker forks its own runs: `-n` in the target's addopts (or pytest_args)
                # would hand them to xdist; the last -n wins.
                *(("-n", "0") if info.has_pytest_xdist else ()),
                "--",
                *self.selection,
            ]
            logger.info("Starting isolation worker: %s in %s", shlex.join(self.command), self.root)
            self._deadline = time.monotonic() + self.timeout_s
            self._process_thread = threading.Thread(
                target=contextvars.copy_context().run,  # the caller's run limits hold there too
                args=(self._run_process, child_env),
                name="isolation-worker",
                daemon=True,
            )
            self._process_thread.start()
            self._connection = self._accept(listener)
        finally:
            listener.close()
        self._connection.settimeout(None)
        reader = self._connection.makefile("rb")
        ready = self._read_ready(reader)
        self._reader = threading.Thread(
            target=self._read_replies, args=(reader,), name="isolation-reader", daemon=True
        )
        self._reader.start()
        return ready

    def _run_process(self, child_env: dict[str, str]) -> None:
        try:
            with self.log_path.open("wb") as log:
                self._outcome = run_in_process_group(
                    self.command,
                    cwd=self.root,
                    env=child_env,
                    output=log,
                    # The worker stops a run at the validation's deadline itself; this limit
                    # only catches a worker that stopped answering.
                    timeout_s=self.timeout_s + WORKER_GRACE_S,
                )
        except OSError as exc:
            self._start_error = exc

    def _exited_message(self) -> str:
        if self._process_thread is not None and self._outcome is None:
            self._process_thread.join(timeout=5)  # its exit code, when it is on its way out
        if self._start_error is not None:
            return f"could not start {shlex.join(self.command)}: {self._start_error}"
        code = self._outcome.returncode if self._outcome else "unknown"
        timed_out = (
            " (stopped at the time limit)" if self._outcome and self._outcome.timed_out else ""
        )
        return (
            f"the isolation worker (pytest in {self.root}) exited with code {code}{timed_out}; "
            f"its output ends: {self.log_tail()[-1500:]}"
        )

    def _accept(self, listener: socket.socket) -> socket.socket:
        assert self._process_thread is not None
        while True:
            try:
                connection, _ = listener.accept()
                return connection
            except TimeoutError:
                if not self._process_thread.is_alive():
                    raise RunnerError(
                        self._exited_message()
                        + " — it must collect the selection without usage errors; run "
                        f"{shlex.join(self.command)} in {self.root} to see why"
                    ) from None

    def _read_ready(self, reader: Any) -> WorkerInfo:
        line = reader.readline()
        if not line:
            raise RunnerError(self._exited_message())
        message = json.loads(line)
        if message.get("event") != "ready":
            raise RunnerError(f"the isolation worker sent {message!r} before it was ready")
        try:
            errors = [CollectionError.model_validate(e) for e in message.get("errors", [])]
        except ValidationError as exc:
            raise RunnerError(
                f"the isolation worker sent unreadable collection errors: {exc}"
            ) from exc
        self.info = WorkerInfo(
            pid=int(message["pid"]),
            rootdir=str(message["rootdir"]),
            ids=[str(i) for i in message["ids"]],
            errors=errors,
            python=str(message.get("python", "")),
            pytest=str(message.get("pytest", "")),
        )
        logger.info(
            "Isolation worker pid %d collected %d tests (%d collection errors)",
            self.info.pid,
            len(self.info.ids),
            len(errors),
        )
        return self.info

    def _read_replies(self, reader: Any) -> None:
        try:
            for line in reader:
                try:
                    message = json.loads(line)
                except json.JSONDecodeError:
                    logger.warning("Unreadable line from the isolation worker: %r", line[:200])
                    continue
                with self._pending_lock:
                    pending = self._pending.pop(int(message.get("req", -1)), None)
                if pending is not None:
                    pending.future.set_result(message)
        except OSError as exc:
            logger.debug("Isolation worker connection closed: %s", exc)
        finally:
            with self._pending_lock:
                orphans = list(self._pending.values())
                self._pending.clear()
            if orphans and not self._closed.is_set():
                error = RunnerError(self._exited_message())
                for pending in orphans:
                    pending.future.set_exception(error)

    def close(self) -> None:
        """Ask the worker to quit; stop its process group if it does not within a few seconds.
        Its scratch folder is removed even when stopping it raises."""
        try:
            self._stop()
        finally:
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)

    def _stop(self) -> None:
        self._closed.set()
        if self._connection is not None:
            try:
                with self._send_lock:
                    self._connection.sendall(b'{"op": "quit"}\n')
            except OSError:
                pass
            try:
                self._connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._connection.close()
        if self._process_thread is not None:
            self._process_thread.join(timeout=10)
            if self._process_thread.is_alive() and self.info is not None:
                logger.warning("Isolation worker pid %d ignored quit: killing it", self.info.pid)
                try:
                    os.killpg(self.info.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self._process_thread.join(timeout=30)
        if self._reader is not None:
            self._reader.join(timeout=5)

    # -- runs -----------------------------------------------------------------------------

    def remaining_s(self) -> float:
        return self._deadline - time.monotonic()

    def run(self, ids: Sequence[str], *, leaks: bool = False) -> ForkedRun:
        """Run exactly `ids`, in this order, in a child forked from the collected session."""
        if self._connection is None or self._scratch is None:
            raise RunnerError("the isolation worker is not started: use it as a context manager")
        with self._slots:
            remaining = self.remaining_s()
            if remaining <= 0:
                raise RunnerError(
                    f"isolation validation ran out of its {self.timeout_s:.0f} s: raise timeout_s "
                    "or validate a smaller selection"
                )
            request = next(self._counter)
            results = self._scratch / f"run-{request}.jsonl"
            results.write_bytes(b"")
            pending = _Pending()
            with self._pending_lock:
                self._pending[request] = pending
            message = {
                "op": "run",
                "req": request,
                "ids": list(ids),
                "results": str(results),
                "timeout": min(self.run_timeout_s, remaining),
                "leaks": leaks,
            }
            started = time.monotonic()
            try:
                with self._send_lock:
                    self._connection.sendall((json.dumps(message) + "\n").encode())
            except OSError as exc:
                raise RunnerError(self._exited_message()) from exc
            self.runs += 1
            try:
                reply = pending.future.result(timeout=remaining + 30)
            except TimeoutError as exc:
                raise RunnerError(
                    f"the isolation worker did not answer within {remaining + 30:.0f} s "
                    f"(validation time limit {self.timeout_s:.0f} s): raise timeout_s"
                ) from exc
            run = _read_run(tuple(ids), results, reply, time.monotonic() - started)
            results.unlink(missing_ok=True)
        if run.error:
            raise RunnerError(f"the isolation worker could not run {len(ids)} test(s): {run.error}")
        if run.timed_out:
            raise RunnerError(
                f"{run.running or 'a test'} did not finish within {message['timeout']:.0f} s "
                f"(in a run of {len(ids)} tests): fix or skip it, or give the validation "
                "more time (timeout_s, --time-budget)"
            )
        return run


def _read_run(
    ids: tuple[str, ...], path: Path, reply: dict[str, Any], duration_s: float
) -> ForkedRun:
    outcomes: dict[str, TestStatus] = {}
    messages: dict[str, str | None] = {}
    leaks: list[StateLeak] = []
    started: dict[str, None] = {}
    error: str | None = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut off by a kill
        kind = event.get("event")
        if kind == "start":
            started[event["nodeid"]] = None
        elif kind == "result":
            started.pop(event["nodeid"], None)
            outcomes[event["nodeid"]] = TestStatus(event["outcome"])
            messages[event["nodeid"]] = event.get("message")
        elif kind == "leak":
            try:
                leaks.append(
                    StateLeak(
                        test=event["nodeid"],
                        state=event["state"],
                        detail=event["detail"],
                        subject=[str(part) for part in event.get("subject") or []],
                    )
                )
            except ValidationError:
                logger.debug("Ignoring an unknown leak kind: %r", event)
        elif kind == "error":
            error = str(event.get("message"))
    return ForkedRun(
        ids=ids,
        outcomes=outcomes,
        messages=messages,
        leaks=leaks,
        exit_code=int(reply.get("exit", -1)),
        timed_out=bool(reply.get("timed_out")),
        error=error,
        running=next(reversed(started), None) if started else None,
        duration_s=duration_s,
    )
