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
import random
import select
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any

import pytest

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
# State-leak detection: what a test changed and did not restore.

_SCALARS = (int, float, str, bytes, bool, type(None), complex)
_CONTAINERS = (list, dict, set, frozenset, tuple, bytearray)


def _item(value: Any) -> Any:
    return value if isinstance(value, _SCALARS) else ("id", id(value))


def _fingerprint(value: Any) -> Any:
    """Cheap identity-and-content summary: changes when the value is replaced or mutated
    (scalars, small containers' items, a plain object's attributes, one level deep)."""
    if isinstance(value, _SCALARS):
        if isinstance(value, (str, bytes)) and len(value) > 200:
            return ("v", hash(value))
        return ("v", value)
    if isinstance(value, _CONTAINERS):
        if len(value) > 64:
            return ("c", id(value), len(value))
        if isinstance(value, dict):
            items: Any = tuple((_item(k), _item(v)) for k, v in value.items())
        elif isinstance(value, (set, frozenset)):
            items = tuple(sorted(repr(_item(v)) for v in value))
        else:
            items = tuple(_item(v) for v in value)
        return ("c", id(value), items)
    if callable(value) or isinstance(value, type):
        return ("i", id(value))
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict) and len(attributes) <= 64:
        return ("o", id(value), tuple((k, _item(v)) for k, v in attributes.items()))
    return ("i", id(value))


def _interesting(name: str, value: Any) -> bool:
    """Globals worth watching: everything but imported modules and the tests themselves.

    Functions and classes are watched by identity, so rebinding one (a patched service
    function left in place) counts as a change.
    """
    if isinstance(value, type(sys)) or name.startswith(("test", "Test", "__", "@")):
        return False
    return True


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001  a foreign __repr__ may raise anything; show its type
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 80 else text[:77] + "..."


class _LeakTracker:
    """Snapshots cheap process state around each test and reports what stayed changed."""

    def __init__(self, rootdir: str, recorder: _Recorder) -> None:
        self._root = os.path.realpath(rootdir) + os.sep
        self._recorder = recorder
        self._fd_dir = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else None
        self._sqlite_files = self._find_sqlite_files()
        self._before: dict[str, Any] = {}
        self._inside: dict[str, bool] = {}
        self._last: dict[str, Any] | None = None
        self._modules: list[Any] | None = None
        self._modules_seen = 0
        self._module_names: dict[
            int, tuple[int, list[str]]
        ] = {}  # module name -> loaded from under the rootdir

    def _target_modules(self) -> list[Any]:
        """Modules loaded from files under the rootdir (outside site-packages).

        Recomputed only when sys.modules changed size (a test imported something).
        """
        if self._modules is not None and self._modules_seen == len(sys.modules):
            return self._modules
        modules = []
        for name, module in list(sys.modules.items()):
            inside = self._inside.get(name)
            if inside is None:
                path = getattr(module, "__file__", None)
                inside = bool(
                    path
                    and "site-packages" not in path
                    and os.path.realpath(path).startswith(self._root)
                )
                self._inside[name] = inside
            if inside:
                modules.append(module)
        self._modules, self._modules_seen = modules, len(sys.modules)
        return modules

    def _find_sqlite_files(self) -> list[str]:
        found = []
        root = self._root.rstrip(os.sep)
        for folder in (root, os.path.join(root, "tests")):
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for name in names:
                if name.endswith((".db", ".sqlite", ".sqlite3")):
                    found.append(os.path.join(folder, name))
        return found

    def _row_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        if not self._sqlite_files:
            return counts
        import sqlite3

        for path in self._sqlite_files:
            try:
                connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
            except sqlite3.Error:
                continue
            try:
                tables = [
                    row[0]
                    for row in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type='table' "
                        "AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                for table in tables:
                    quoted = '"' + table.replace('"', '""') + '"'
                    (count,) = connection.execute(
                        "SELECT count(*) FROM " + quoted  # noqa: S608  a quoted table name
                    ).fetchone()
                    counts[f"{os.path.basename(path)}:{table}"] = int(count)
            except sqlite3.Error:
                pass
            finally:
                connection.close()
        return counts

    def _overrides(self) -> dict[str, list[str]]:
        if "fastapi" not in sys.modules:
            return {}
        fastapi = sys.modules["fastapi"]
        app_type = getattr(fastapi, "FastAPI", None)
        if app_type is None:
            return {}
        found: dict[str, list[str]] = {}
        seen: set[int] = set()  # an app imported into other modules is reported once
        for module in self._target_modules():
            for name, value in list(vars(module).items()):
                if isinstance(value, app_type) and id(value) not in seen:
                    seen.add(id(value))
                    overrides = getattr(value, "dependency_overrides", {}) or {}
                    key = f"{module.__name__}.{name}"
                    found[key] = sorted(getattr(d, "__qualname__", repr(d)) for d in overrides)
        return found

    def _names(self, module: Any) -> list[str]:
        """The module's data globals (not functions, classes or modules), cached until the
        module's namespace changes size."""
        namespace = vars(module)
        cached = self._module_names.get(id(module))
        if cached is not None and cached[0] == len(namespace):
            return cached[1]
        names = [name for name, value in list(namespace.items()) if _interesting(name, value)]
        self._module_names[id(module)] = (len(namespace), names)
        return names

    def _globals(self) -> dict[tuple[str, str], Any]:
        snapshot: dict[tuple[str, str], Any] = {}
        for module in self._target_modules():
            namespace = vars(module)
            module_name = getattr(module, "__name__", "?")
            for name in self._names(module):
                if name in namespace:
                    snapshot[(module_name, name)] = _fingerprint(namespace[name])
        return snapshot

    def _fds(self) -> dict[str, str]:
        """Open descriptors and their targets (targets of numbers seen last time are reused)."""
        if self._fd_dir is None:
            return {}
        known = self._last["fds"] if self._last else {}
        fds: dict[str, str] = {}
        for name in os.listdir(self._fd_dir):
            target = known.get(name)
            if target is None:
                try:
                    target = os.readlink(os.path.join(self._fd_dir, name))
                except OSError:
                    continue
            fds[name] = target
        return fds

    def snapshot(self) -> dict[str, Any]:
        raw_env = getattr(os.environ, "_data", None)  # bytes, not decoded: cheaper to copy
        return {
            "env": dict(raw_env) if isinstance(raw_env, dict) else dict(os.environ),
            "cwd": os.getcwd(),
            "threads": {t.ident: t.name for t in threading.enumerate()},
            "fds": self._fds(),
            "random": hash(random.getstate()),
            "overrides": self._overrides(),
            "globals": self._globals(),
            "rows": self._row_counts(),
        }

    def before(self, nodeid: str) -> None:
        # Nothing runs between one test's end and the next one's start: reuse that snapshot.
        self._before[nodeid] = self._last if self._last is not None else self.snapshot()

    def after(self, nodeid: str) -> None:
        before = self._before.pop(nodeid, None)
        if before is None:
            return
        after = self._last = self.snapshot()
        for state, detail in _diff(before, after):
            self._recorder.write("leak", nodeid=nodeid, state=state, detail=detail)


def _decoded(env: dict[Any, Any]) -> dict[str, str]:
    return {
        (k.decode("utf-8", "surrogateescape") if isinstance(k, bytes) else k): (
            v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else v
        )
        for k, v in env.items()
    }


def _env_diff(env_before: dict[str, str], env_after: dict[str, str]) -> list[tuple[str, str]]:
    leaks: list[tuple[str, str]] = []
    for key in sorted(set(env_before) | set(env_after)):
        if key.startswith("PYTEST_"):
            continue
        if key not in env_before:
            leaks.append(("env", f"set {key}={_short(env_after[key])}"))
        elif key not in env_after:
            leaks.append(("env", f"removed {key} (was {_short(env_before[key])})"))
        elif env_before[key] != env_after[key]:
            leaks.append(
                (
                    "env",
                    f"changed {key} from {_short(env_before[key])} to {_short(env_after[key])}",
                )
            )
    return leaks


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    if before is after:
        return []
    leaks: list[tuple[str, str]] = []
    if before["env"] != after["env"]:
        leaks.extend(_env_diff(_decoded(before["env"]), _decoded(after["env"])))
    if before["cwd"] != after["cwd"]:
        leaks.append(("cwd", "changed the working directory to {}".format(after["cwd"])))
    new_threads = [
        name for ident, name in after["threads"].items() if ident not in before["threads"]
    ]
    if new_threads:
        leaks.append(
            (
                "threads",
                "left {} thread(s) running: {}".format(
                    len(new_threads), ", ".join(sorted(new_threads))
                ),
            )
        )
    # A descriptor counts when its target was not open at all before: pytest's capture
    # duplicates descriptors of files that were (the log, the terminal).
    open_before = set(before["fds"].values())
    new_fds = sorted(
        {t for t in after["fds"].values() if t not in open_before and not t.startswith("/proc/")}
    )
    if new_fds:
        leaks.append(
            (
                "open_files",
                "left {} file descriptor(s) open: {}".format(len(new_fds), ", ".join(new_fds[:5])),
            )
        )
    if before["random"] != after["random"]:
        leaks.append(
            ("random", "changed the global random generator's state (seeded or consumed it)")
        )
    for app in sorted(set(before["overrides"]) | set(after["overrides"])):
        old = before["overrides"].get(app, [])
        new = after["overrides"].get(app, [])
        added = [name for name in new if name not in old]
        if added:
            leaks.append(
                (
                    "dependency_overrides",
                    "left {}.dependency_overrides[{}] set".format(app, ", ".join(added)),
                )
            )
    old_globals, new_globals = before["globals"], after["globals"]
    for key in sorted(set(old_globals) | set(new_globals)):
        if old_globals.get(key) != new_globals.get(key):
            module_name, name = key
            verb = (
                "added"
                if key not in old_globals
                else ("removed" if key not in new_globals else "changed")
            )
            leaks.append(("module_globals", f"{verb} {module_name}.{name}"))
    for table in sorted(set(before["rows"]) | set(after["rows"])):
        old_count, new_count = before["rows"].get(table, 0), after["rows"].get(table, 0)
        if old_count != new_count:
            leaks.append(("database_rows", f"{table}: {old_count} -> {new_count} rows"))
    return leaks


class _LeakHooks:
    def __init__(self, tracker: _LeakTracker) -> None:
        self._tracker = tracker

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        self._tracker.before(item.nodeid)
        yield
        self._tracker.after(item.nodeid)


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
        config.pluginmanager.register(recorder, "remediation-order-recorder")
        if message.get("leaks"):
            tracker = _LeakTracker(str(config.rootpath), recorder)
            config.pluginmanager.register(_LeakHooks(tracker), "remediation-order-leaks")
        items = [by_id[nodeid] for nodeid in message["ids"]]
        session.items = items
        config.option.maxfail = 0  # every requested test runs: outcomes are what we read
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldstop:
                break
    return 0
