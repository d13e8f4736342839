"""Result-collecting pytest plugin injected into a target's pytest run.

The runner puts this directory on the target's PYTHONPATH and passes
``-p remediation_collector``. The target interpreter usually does not have the
remediation engine installed, so this module uses the standard library and pytest
only, with Python 3.9-compatible syntax.

It is inert unless ``REMEDIATION_RESULTS_FILE`` is set. Then every event is one JSON
object on one line, flushed as soon as it is written, so the lines already written
survive a kill of the process:

- ``session_start``: pid, python and pytest versions
- ``collect_error``: a module or package pytest could not collect, with pytest's text
- ``collected``: the number of tests selected for the run
- ``start``: a test began (its setup is about to run)
- ``result``: one per test, setup/call/teardown folded into one outcome
- ``session_finish``: pytest's exit status

With ``REMEDIATION_COLLECT_IDS=1`` it also writes, once collection is done:

- ``collected_ids``: pytest's rootdir, the node id of every collected test in order, and
  the fixture names each test requests that no plugin, conftest or module defines for it
  (``missing_fixtures``, only tests that have some: they would error at setup)

With ``REMEDIATION_TARGET_ROOT`` set, every collected test whose file lies outside that
folder (after resolving symbolic links) is taken out of the run and reported as a
``collect_error``: no argument, symlink or plugin can make tests of another project count
for the target. Under pytest-xdist the controller passes the root to its workers.

Under pytest-xdist the controller receives every worker's reports, so only the
controller writes; workers (``config.workerinput``) stay silent.
"""

from __future__ import annotations

import json
import os
import platform
import time
from typing import IO, Any

import pytest

RESULTS_FILE_ENV = "REMEDIATION_RESULTS_FILE"
COLLECT_IDS_ENV = "REMEDIATION_COLLECT_IDS"
TARGET_ROOT_ENV = "REMEDIATION_TARGET_ROOT"
_ROOT_KEY = "remediation_target_root"

_PHASES = ("setup", "call", "teardown")


class _Writer:
    """Appends events to the results file and folds per-phase reports into results."""

    def __init__(self, stream: IO[str], with_ids: bool = False) -> None:
        self._stream = stream
        self.with_ids = with_ids
        self._reports: dict[str, list[Any]] = {}
        self._collect_errors: set[str] = set()
        self._collect_skips: set[str] = set()
        self._collected_written = False

    def write(self, event: str, **fields: Any) -> None:
        record = {"event": event}
        record.update(fields)
        self._stream.write(json.dumps(record, default=str) + "\n")
        self._stream.flush()

    def collected(self, count: int) -> None:
        if not self._collected_written:
            self._collected_written = True
            self.write("collected", count=count)

    def collect_error(self, nodeid: str, message: str) -> None:
        if nodeid not in self._collect_errors:  # xdist: every worker collects
            self._collect_errors.add(nodeid)
            self.write("collect_error", nodeid=nodeid, message=message)

    def collect_skip(self, nodeid: str, reason: str) -> None:
        if nodeid not in self._collect_skips:  # xdist: every worker collects
            self._collect_skips.add(nodeid)
            self.write("collect_skip", nodeid=nodeid, reason=reason)

    def start(self, nodeid: str) -> None:
        self._reports[nodeid] = []
        self.write("start", nodeid=nodeid)

    def report(self, report: Any) -> None:
        self._reports.setdefault(report.nodeid, []).append(report)
        if report.when not in _PHASES:
            # pytest-xdist reports a crashed worker with when="???" and no logfinish.
            self.finish(report.nodeid)

    def finish(self, nodeid: str) -> None:
        reports = self._reports.pop(nodeid, None)
        if reports:
            self.write("result", nodeid=nodeid, time=time.time(), **_fold(reports))

    def finish_pending(self) -> None:
        for nodeid in list(self._reports):
            self.finish(nodeid)

    def close(self) -> None:
        self._stream.close()


def _fold(reports: list[Any]) -> dict[str, Any]:
    """One outcome for a test from all its reports.

    A test has setup, call and teardown reports, and may have more: one per subtest
    (pytest 9 subtests, pytest-subtests), earlier attempts marked "rerun"
    (pytest-rerunfailures, never failed), or xdist's report for a crashed worker.
    """
    duration_ms = sum(float(getattr(r, "duration", 0.0) or 0.0) for r in reports) * 1000.0

    def failed(when: str) -> list[Any]:
        return [r for r in reports if r.failed and r.when == when]

    outcome = "passed"
    failing = failed("setup")
    if failing:
        outcome = "error"
    else:
        failing = failed("call") or [r for r in reports if r.failed and r.when not in _PHASES]
        if failing:
            outcome = "failed"
        else:
            failing = failed("teardown")
            if failing:
                outcome = "error"
    if failing:
        failing += [r for r in failed("teardown") if r not in failing]
        return {
            "outcome": outcome,
            "duration_ms": duration_ms,
            "message": _first_error_line(failing[0]),
            "traceback": "\n\n".join(_longrepr_text(r) for r in failing),
        }

    # A skipped subtest does not make its test skipped; a skipped setup or call does.
    skipped = [r for r in reports if r.skipped and not hasattr(r, "context")]
    if skipped:
        return {
            "outcome": "skipped",
            "duration_ms": duration_ms,
            "message": _skip_reason(skipped[0]),
            "traceback": None,
        }
    return {"outcome": "passed", "duration_ms": duration_ms, "message": None, "traceback": None}


def _longrepr_text(report: Any) -> str:
    try:
        return str(report.longreprtext)
    except AttributeError:
        return str(report.longrepr)


def _first_error_line(report: Any) -> str:
    """The exception line ("AssertionError: assert 1 == 2"), else the first text line."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if message:
        return str(message).strip().splitlines()[0]
    text = _longrepr_text(report)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("E "):
            return line[1:].strip()
    return lines[0] if lines else ""


def _skip_reason(report: Any) -> str:
    wasxfail = getattr(report, "wasxfail", None)
    if wasxfail is not None:
        return f"xfail: {wasxfail}" if wasxfail else "xfail"
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        prefix = "Skipped: "
        return reason[len(prefix) :] if reason.startswith(prefix) else reason
    return _longrepr_text(report)


_writer: _Writer | None = None
_target_root: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _writer, _target_root
    path = os.environ.pop(RESULTS_FILE_ENV, None)  # a nested pytest run must not write here
    with_ids = os.environ.pop(COLLECT_IDS_ENV, "") == "1"
    root = os.environ.pop(TARGET_ROOT_ENV, None)  # nor be confined to this target
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        root = workerinput.get(_ROOT_KEY)
    _target_root = os.path.realpath(root) if root else None
    if not path or hasattr(config, "workerinput") or _writer is not None:
        return
    # closed in pytest_unconfigure
    _writer = _Writer(open(path, "a", encoding="utf-8"), with_ids=with_ids)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    if _target_root is not None:
        node.workerinput[_ROOT_KEY] = _target_root


def _outside(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return real != root and not real.startswith(root.rstrip(os.sep) + os.sep)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[Any]) -> None:
    if _target_root is None:
        return
    kept: list[Any] = []
    refused: dict[str, str] = {}
    for item in items:
        path = str(getattr(item, "path", "") or getattr(item, "fspath", ""))
        if path and _outside(path, _target_root):
            refused.setdefault(path, item.nodeid.split("::", 1)[0])
        else:
            kept.append(item)
    if not refused:
        return
    items[:] = kept
    if _writer is not None:
        for path, nodeid in refused.items():
            real = os.path.realpath(path)
            _writer.collect_error(
                nodeid,
                f"E   OutsideTargetError: {path} resolves to {real}, outside the target "
                f"{_target_root}: the engine runs only the target's own tests",
            )


def pytest_unconfigure(config: pytest.Config) -> None:
    global _writer
    if _writer is not None:
        _writer.close()
        _writer = None


def pytest_sessionstart(session: pytest.Session) -> None:
    if _writer is not None:
        _writer.write(
            "session_start",
            pid=os.getpid(),
            python=platform.python_version(),
            pytest=pytest.__version__,
        )


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if _writer is not None and report.failed:
        _writer.collect_error(report.nodeid, _longrepr_text(report))
    elif _writer is not None and report.skipped and report.nodeid.endswith(".py"):
        # a whole module skipped while collected (`pytest.importorskip`, `allow_module_level`)
        _writer.collect_skip(report.nodeid, _skip_reason(report))


def _missing_fixtures(item: Any) -> list[str]:
    """Fixture names in the item's closure that resolved to no definition."""
    info = getattr(item, "_fixtureinfo", None)
    closure = getattr(info, "names_closure", None)
    defined = getattr(info, "name2fixturedefs", None)
    if closure is None or defined is None:
        return []
    return sorted(n for n in closure if n not in defined and n != "request")


def pytest_collection_finish(session: pytest.Session) -> None:
    if _writer is not None:
        _writer.collected(len(session.items))
        if _writer.with_ids:
            _writer.write(
                "collected_ids",
                rootdir=str(session.config.rootpath),
                ids=[item.nodeid for item in session.items],
                missing_fixtures={
                    item.nodeid: missing
                    for item in session.items
                    for missing in [_missing_fixtures(item)]
                    if missing
                },
            )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    # Under xdist the controller does not collect; each worker reports the same ids.
    if _writer is not None:
        _writer.collected(len(ids))


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    if _writer is not None:
        _writer.start(nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _writer is not None:
        _writer.report(report)


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    if _writer is not None:
        _writer.finish(nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _writer is not None:
        _writer.finish_pending()
        _writer.write("session_finish", exitstatus=int(exitstatus))
