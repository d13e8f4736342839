"""parse_events: the collector's JSON lines, including a file cut short by a kill."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from testing_lib.results import TestStatus
from testing_lib.runner.events import parse_events, read_events


def _line(**event: object) -> str:
    return json.dumps(event) + "\n"


def _result(nodeid: str, outcome: str = "passed") -> str:
    return _line(event="result", nodeid=nodeid, outcome=outcome, duration_ms=1.5, time=0.0)


def test_a_line_cut_off_by_a_kill_is_ignored() -> None:
    text = (
        _line(event="start", nodeid="t.py::a")
        + _result("t.py::a")
        + _line(event="start", nodeid="t.py::b")
        + '{"event": "result", "nodeid": "t.py::b", "outc'
    )
    run = parse_events(text)

    assert [r.test_name for r in run.results] == ["t.py::a"]
    assert run.running_test == "t.py::b"
    assert run.exitstatus is None


def test_the_last_started_test_without_a_result_is_running() -> None:
    text = (
        _line(event="start", nodeid="t.py::a")
        + _line(event="start", nodeid="t.py::b")
        + _result("t.py::b", "failed")
    )
    run = parse_events(text)

    assert run.running == ["t.py::a"]
    assert run.results[0].status is TestStatus.FAILED
    assert run.results[0].timestamp.tzinfo is not None


def test_an_unreadable_complete_line_is_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = "not json\n" + _line(event="nonsense") + _result("t.py::a")
    with caplog.at_level(logging.WARNING, logger="testing_lib.runner.events"):
        run = parse_events(text)

    assert [r.test_name for r in run.results] == ["t.py::a"]
    assert len(caplog.records) == 2


def test_collection_errors_are_reported_once_per_node() -> None:
    error = _line(event="collect_error", nodeid="t.py", message="SyntaxError")
    run = parse_events(error + error + _line(event="collected", count=0))

    assert [(e.nodeid, e.message) for e in run.collection_errors] == [("t.py", "SyntaxError")]
    assert run.collected == 0


def test_a_results_file_never_written_has_no_events(tmp_path: Path) -> None:
    run = read_events(tmp_path / "missing.jsonl")

    assert run.results == []
    assert run.collected is None
