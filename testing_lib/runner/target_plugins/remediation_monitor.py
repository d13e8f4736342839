"""Always-on per-test performance monitor injected into a target's pytest run.

The engine's gate passes ``-p remediation_monitor`` (this directory is on the target's
PYTHONPATH, as for ``remediation_collector``), so every gate is measured whether or not the
target's interpreter has the remediation engine installed. Standard library and pytest
only, Python 3.9-compatible syntax; psutil, SQLAlchemy and httpx are used only when the
target already has them.

Inert unless ``REMEDIATION_MONITOR_FILE`` names a file. Then each test is measured around
its whole protocol (setup, call, teardown): wall time (``perf_counter_ns``), CPU time
(``process_time_ns``), RSS before and after and the high-water RSS (on Linux VmRSS and
VmHWM of ``/proc/self/status``, one read per sample; elsewhere psutil's RSS when importable
and ``getrusage``'s ru_maxrss), and the SQL statements and HTTP requests it made
(`Counters`). The peak is the high-water mark when the test raised it, else the larger of
RSS before and after (a lower bound). One JSON object per test (the field
names of ``testing_lib.performance.TestPerformanceMetrics``) is buffered in memory and
appended to the file every ``_FLUSH_EVERY`` tests and at session end.

pytest-xdist: the controller runs no tests and writes nothing; it hands the file name to
each worker (``workerinput``), and every worker appends to the same file. The file is
opened ``O_APPEND`` and each line goes out in one ``os.write``, so lines from different
workers never interleave within a line (on a local file system).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import pytest

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

if TYPE_CHECKING:
    import httpx

MONITOR_FILE_ENV = "REMEDIATION_MONITOR_FILE"
PLUGIN_NAME = "remediation-monitor"
_WORKERINPUT_KEY = "remediation_monitor_file"
_FLUSH_EVERY = 500
_MB = 1024.0 * 1024.0
# ru_maxrss is in kilobytes on Linux, bytes on macOS.
_MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024

logger = logging.getLogger("remediation_monitor")


class Counters:
    """Process-wide counters of SQL statements and HTTP requests, installed once, read per test.

    SQL: a ``before_cursor_execute`` listener on SQLAlchemy's ``Engine`` class counts the
    statements of every engine (an AsyncEngine runs through its sync Engine). HTTP:
    ``httpx.Client.send`` and ``httpx.AsyncClient.send`` are wrapped, so every request counts
    whatever the transport: network, ``ASGITransport`` (in-process app), ``MockTransport``,
    respx mocks, starlette's TestClient (an httpx.Client). Both are installed lazily, once
    the process has imported the library, so a suite that never uses them pays nothing.
    A library whose hooks cannot be installed (an unexpected version) is left uncounted.
    """

    __slots__ = ("_restore", "http", "sql")

    def __init__(self) -> None:
        self.sql = 0
        self.http = 0
        self._restore: dict[str, Callable[[], None]] = {}

    def install_available(self) -> None:
        """Hook the libraries imported since the last call (cheap when nothing is new)."""
        restore = self._restore
        if "sqlalchemy" not in restore and "sqlalchemy" in sys.modules:
            self._install("sqlalchemy", self._install_sqlalchemy)
        if "httpx" not in restore and "httpx" in sys.modules:
            self._install("httpx", self._install_httpx)

    def _install(self, library: str, install: Callable[[], Callable[[], None]]) -> None:
        try:
            self._restore[library] = install()
        except (ImportError, AttributeError) as exc:
            self._restore[library] = _nothing  # do not try again for every test
            logger.warning("cannot count %s calls: %s: %s", library, type(exc).__name__, exc)

    def _install_sqlalchemy(self) -> Callable[[], None]:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        def count(*args: Any, **kwargs: Any) -> None:
            self.sql += 1

        event.listen(Engine, "before_cursor_execute", count)
        return lambda: event.remove(Engine, "before_cursor_execute", count)

    def _install_httpx(self) -> Callable[[], None]:
        import httpx

        sync_send = httpx.Client.send
        async_send = httpx.AsyncClient.send
        active = [True]  # a wrapper another hook has wrapped since stays, passing through

        def send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            if active[0]:
                self.http += 1
            return sync_send(client, request, **kwargs)

        async def asend(
            client: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
        ) -> httpx.Response:
            if active[0]:
                self.http += 1
            return await async_send(client, request, **kwargs)

        httpx.Client.send = send  # type: ignore[method-assign,assignment]
        httpx.AsyncClient.send = asend  # type: ignore[method-assign,assignment]

        def restore() -> None:
            active[0] = False
            if httpx.Client.send is send:  # type: ignore[comparison-overlap]
                httpx.Client.send = sync_send  # type: ignore[method-assign]
            if httpx.AsyncClient.send is asend:  # type: ignore[comparison-overlap]
                httpx.AsyncClient.send = async_send  # type: ignore[method-assign]

        return restore

    def uninstall(self) -> None:
        for restore in self._restore.values():
            restore()
        self._restore.clear()


def _nothing() -> None:
    return None


class _ProcStatus:
    """Current and high-water RSS in bytes (VmRSS, VmHWM) from ``/proc/self/status``.

    One ``pread`` of one descriptor per sample (reopened after a fork, when ``/proc/self``
    would still name the parent). VmHWM belongs to this process's address space and starts
    afresh at ``exec``, unlike ``getrusage``'s ru_maxrss, which a process inherits from the
    one that forked it: a target started by the engine would otherwise begin with the
    engine's high-water mark, and no test would ever seem to raise it.
    """

    def __init__(self) -> None:
        self._open()

    def _open(self) -> None:
        self._pid = os.getpid()
        self._fd = os.open("/proc/self/status", os.O_RDONLY)

    def __call__(self) -> tuple[int, int]:
        if os.getpid() != self._pid:
            self._open()
        status = os.pread(self._fd, 8192, 0)
        rss = status.index(b"VmRSS:") + 6
        hwm = status.index(b"VmHWM:") + 6
        return (
            int(status[rss : status.index(b"kB", rss)]) * 1024,
            int(status[hwm : status.index(b"kB", hwm)]) * 1024,
        )

    def close(self) -> None:
        os.close(self._fd)


def _maxrss() -> int:
    """getrusage's high-water RSS in bytes (0 where getrusage does not exist)."""
    if resource is None:
        return 0
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _MAXRSS_BYTES)


def memory_reader() -> tuple[Callable[[], tuple[int, int]], Callable[[], None]]:
    """A reader of (current RSS, high-water RSS) in bytes, and what releases it.

    Linux: ``/proc/self/status``. Elsewhere: psutil's RSS when the target has psutil, else
    the getrusage high-water mark standing in for both.
    """
    try:
        status = _ProcStatus()
        status()
    except (OSError, ValueError):
        pass  # not Linux, or no /proc
    else:
        return status, status.close
    try:
        import psutil
    except ImportError:
        return (lambda: (_maxrss(), _maxrss())), _nothing
    memory_info = psutil.Process().memory_info
    return (lambda: (int(memory_info().rss), _maxrss())), _nothing


# wall ns, CPU ns, RSS bytes, high-water RSS bytes, SQL statements, HTTP requests so far
Sample = tuple[int, int, int, int, int, int]


class Sampler:
    """Reads everything a test is measured by; a test's figures are two readings apart.

    Shared by this plugin and `testing_lib.performance.TestPerformanceMonitor`.
    """

    def __init__(self) -> None:
        self.counters = Counters()
        self._memory, self._release = memory_reader()

    def sample(self) -> Sample:
        counters = self.counters
        counters.install_available()
        rss, maxrss = self._memory()
        return (
            time.perf_counter_ns(),
            time.process_time_ns(),
            rss,
            maxrss,
            counters.sql,
            counters.http,
        )

    def close(self) -> None:
        self.counters.uninstall()
        self._release()


def metrics_record(test_name: str, outcome: str, before: Sample, after: Sample) -> dict[str, Any]:
    """One test's figures (the fields of `testing_lib.performance.TestPerformanceMetrics`)."""
    wall0, cpu0, rss0, maxrss0, sql0, http0 = before
    wall, cpu, rss, maxrss, sql, http = after
    before_mb, after_mb = rss0 / _MB, rss / _MB
    return {
        "test_name": test_name,
        "execution_time_ms": (wall - wall0) / 1e6,
        "memory_usage_mb": after_mb - before_mb,
        "database_queries": sql - sql0,
        "http_requests": http - http0,
        "cpu_time_ms": (cpu - cpu0) / 1e6,
        "rss_before_mb": before_mb,
        "rss_after_mb": after_mb,
        # the high-water mark when the test raised it, else a lower bound of its peak
        "peak_rss_mb": maxrss / _MB if maxrss > maxrss0 else max(before_mb, after_mb),
        "outcome": outcome,
    }


class Monitor:
    """Measures each test of the session and appends the rows to `path`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sampler = Sampler()
        self.rows: list[tuple[str, str, Sample, Sample]] = []
        self._outcomes: dict[str, str] = {}

    def stop(self, nodeid: str, before: Sample) -> None:
        after = self.sampler.sample()
        self.rows.append((nodeid, self._outcomes.pop(nodeid, "passed"), before, after))
        if len(self.rows) >= _FLUSH_EVERY:
            self.flush()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        before = self.sampler.sample()
        yield  # an old-style wrapper: runs on with any pytest, and never raises here
        self.stop(item.nodeid, before)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._outcomes[report.nodeid] = "error" if report.when != "call" else "failed"
        elif report.skipped and report.nodeid not in self._outcomes:
            self._outcomes[report.nodeid] = "skipped"

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_WORKERINPUT_KEY] = self.path  # xdist controller: tell each worker

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.flush()

    def flush(self) -> None:
        """Append the buffered rows, one `os.write` per line, and empty the buffer."""
        rows, self.rows = self.rows, []
        if not rows:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            logger.warning("cannot write %d test metrics to %s: %s", len(rows), self.path, exc)
            return
        try:
            for row in rows:
                os.write(fd, _line(row))
        except OSError as exc:
            logger.warning("writing test metrics to %s failed: %s", self.path, exc)
        finally:
            os.close(fd)

    def close(self) -> None:
        self.flush()
        self.sampler.close()


def _line(row: tuple[str, str, Sample, Sample]) -> bytes:
    return (json.dumps(metrics_record(*row)) + "\n").encode("utf-8")


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.pop(MONITOR_FILE_ENV, None)  # a nested pytest run must not write here
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        path = workerinput.get(_WORKERINPUT_KEY)
    if not path or config.pluginmanager.has_plugin(PLUGIN_NAME):
        return
    config.pluginmanager.register(Monitor(path), PLUGIN_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    monitor = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if isinstance(monitor, Monitor):
        monitor.close()
        config.pluginmanager.unregister(monitor, PLUGIN_NAME)
