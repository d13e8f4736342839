"""Failures grouped by kind and key: counting, examples, unfinished runs and rendering."""

from __future__ import annotations

from testing_lib.results import CollectionError, TestResult, TestStatus, TestSuiteResult
from testing_lib.triage import Triage, render_lines, render_markdown, triage


def _result(name: str, status: TestStatus, message: str | None = None) -> TestResult:
    return TestResult(test_name=name, status=status, execution_time_ms=1, error_message=message)


def _suite(*results: TestResult, **extra: object) -> TestSuiteResult:
    return TestSuiteResult.from_results("unit", list(results), **extra)


ML_ERROR = CollectionError(
    nodeid="tests/test_ml.py",
    message="ImportError while importing test module '/p/tests/test_ml.py'.\nTraceback:\n"
    "tests/test_ml.py:1: in <module>\n    import torch\n"
    "E   ModuleNotFoundError: No module named 'torch'",
)


def test_failures_are_grouped_by_kind_and_key_largest_first() -> None:
    suite = _suite(
        *(_result(f"t.py::test_{i}", TestStatus.ERROR, "fixture 'db' not found") for i in range(5)),
        _result("t.py::test_cache", TestStatus.ERROR, "fixture 'cache' not found"),
        _result("t.py::test_math", TestStatus.FAILED, "assert 1 == 2"),
        _result("t.py::test_ok", TestStatus.PASSED),
        _result("t.py::test_skip", TestStatus.SKIPPED, "no redis"),
        collection_errors=[ML_ERROR],
    )

    result = triage(suite)

    assert [(g.kind, g.key, g.count) for g in result.groups] == [
        ("missing_fixture", "db", 5),
        ("assertion", None, 1),
        ("missing_fixture", "cache", 1),
        ("missing_module", "torch", 1),
    ]
    first = result.groups[0]
    assert first.examples == ["t.py::test_0", "t.py::test_1", "t.py::test_2"]
    assert first.sources == {"error": 5}
    assert first.message == "fixture 'db' not found"
    assert result.groups[3].sources == {"collection_error": 1}
    assert result.groups[3].examples == ["tests/test_ml.py"]
    assert result.total == 8
    assert result.counts() == {"missing_fixture": 6, "assertion": 1, "missing_module": 1}


def test_examples_can_be_limited_and_sources_are_counted_per_group() -> None:
    refused = "ConnectionRefusedError: [Errno 111] Connection refused"
    suite = _suite(
        _result("a.py::test_1", TestStatus.FAILED, refused),
        _result("a.py::test_2", TestStatus.ERROR, refused),
        _result("a.py::test_3", TestStatus.ERROR, refused),
    )
    (group,) = triage(suite, examples=1).groups
    assert (group.kind, group.count, group.examples) == ("connection_refused", 3, ["a.py::test_1"])
    assert group.sources == {"failed": 1, "error": 2}


def test_a_passing_run_has_no_groups() -> None:
    result = triage(_suite(_result("a.py::test_ok", TestStatus.PASSED)))
    assert result == Triage(groups=[])
    assert render_lines(result) == []
    assert render_markdown(result) == "No failures to triage.\n"


def test_the_test_a_timed_out_run_ended_in_is_a_timeout() -> None:
    suite = _suite(running_test="a.py::test_waits", timed_out=True, session_finished=False)
    (group,) = triage(suite).groups
    assert (group.kind, group.key, group.examples) == (
        "timeout",
        "run time limit",
        ["a.py::test_waits"],
    )
    assert group.sources == {"unfinished": 1}


def test_a_run_ended_by_the_per_test_limit_names_that_limit() -> None:
    tail = "+++ Timeout >5s: a.py::test_waits did not stop; ending the run.\n"
    suite = _suite(
        running_test="a.py::test_waits", session_finished=False, exit_code=70, stderr_tail=tail
    )
    (group,) = triage(suite).groups
    assert (group.kind, group.key) == ("timeout", ">5s")


def test_a_crashed_run_names_the_test_it_crashed_in() -> None:
    suite = _suite(running_test="a.py::test_segv", session_finished=False, exit_code=-11)
    (group,) = triage(suite).groups
    assert (group.kind, group.examples) == ("crashed", ["a.py::test_segv"])
    assert "signal 11" in group.message


def test_a_run_stopped_from_outside_adds_no_guess() -> None:
    # what a stopped engine rebuilds from disk: no exit code, the session never finished
    suite = _suite(running_test="a.py::test_x", session_finished=False)
    assert triage(suite).groups == []


def test_render_lines_shows_the_largest_groups_and_counts_the_rest() -> None:
    suite = _suite(
        *(_result(f"a.py::test_{i}", TestStatus.FAILED, "assert 1 == 2") for i in range(4)),
        _result("b.py::test_x", TestStatus.FAILED, "KeyError: 'x'"),
        _result("b.py::test_y", TestStatus.FAILED, "TypeError: f() takes 1 argument"),
        collection_errors=[ML_ERROR],
    )

    lines = render_lines(triage(suite), limit=2)

    assert lines[0].startswith("4 × assertion failed — compare expected and actual")
    assert lines[0].endswith("(e.g. a.py::test_0, a.py::test_1, a.py::test_2, ...)")
    assert lines[1].startswith("1 × module not found (torch) — when it is the project's own")
    assert lines[1].endswith("(e.g. tests/test_ml.py)")
    assert lines[2] == "… and 2 more failure(s) in 2 other group(s)"


def test_render_markdown_is_one_table_row_per_group_with_escaped_cells() -> None:
    suite = _suite(
        _result("a.py::test_p[a|b]", TestStatus.ERROR, "fixture 'db' not found"),
        _result("a.py::test_q", TestStatus.ERROR, "fixture 'db' not found"),
    )

    table = render_markdown(triage(suite)).splitlines()

    assert table[0] == "| Count | Kind | Key | Examples | Remediation |"
    assert len(table) == 3
    row = table[2]
    assert row.startswith(
        "| 2 | fixture not found (`missing_fixture`) | `db` | "
        "`a.py::test_p[a\\|b]`, `a.py::test_q` | define the fixture in a conftest.py"
    )
