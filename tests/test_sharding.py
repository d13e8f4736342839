from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing_lib.results import TestResult, TestStatus, TestSuiteResult
from testing_lib.sharding import durations_from_results, merge_suites, split_balanced

IDS = [f"tests/test_m.py::test_{i}" for i in range(10)]


def test_without_durations_shards_split_evenly_by_count() -> None:
    shards = split_balanced(IDS, {}, 3)
    assert sorted(len(s) for s in shards) == [3, 3, 4]
    assert sorted(t for s in shards for t in s) == sorted(IDS)


def test_known_durations_balance_the_load() -> None:
    durations = {IDS[0]: 900.0} | {t: 100.0 for t in IDS[1:]}
    shards = split_balanced(IDS, durations, 2)
    loads = sorted(sum(durations[t] for t in s) for s in shards)
    assert loads == [900.0, 900.0]


def test_each_shard_keeps_collection_order() -> None:
    for shard in split_balanced(IDS, {t: float(i) for i, t in enumerate(IDS)}, 3):
        assert shard == sorted(shard, key=IDS.index)


def test_more_shards_than_tests_leaves_the_extra_shards_empty() -> None:
    shards = split_balanced(IDS[:2], {}, 5)
    assert len(shards) == 5  # positional: shard i of N must mean the same everywhere
    assert sorted(len(s) for s in shards) == [0, 0, 0, 1, 1]


def test_an_empty_shard_does_not_hide_a_failing_one() -> None:
    parts = [
        TestSuiteResult.from_results("p", [], exit_code=5),
        TestSuiteResult.from_results("p", [result(IDS[0], TestStatus.FAILED)], exit_code=1),
    ]
    assert merge_suites("p", parts, IDS).exit_code == 1


def test_zero_shards_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        split_balanced(IDS, {}, 0)


def result(name: str, status: TestStatus = TestStatus.PASSED) -> TestResult:
    return TestResult(test_name=name, status=status, execution_time_ms=1.0)


def test_merged_shards_equal_the_unsharded_suite() -> None:
    whole = TestSuiteResult.from_results(
        "p", [result(IDS[0]), result(IDS[1], TestStatus.FAILED), result(IDS[2])]
    )
    parts = [
        TestSuiteResult.from_results("p", [result(IDS[1], TestStatus.FAILED)], exit_code=1),
        TestSuiteResult.from_results("p", [result(IDS[0]), result(IDS[2])], exit_code=0),
    ]
    merged = merge_suites("p", parts, IDS)
    assert [(r.test_name, r.status) for r in merged.results] == [
        (r.test_name, r.status) for r in whole.results
    ]
    assert (merged.passed_tests, merged.failed_tests, merged.exit_code) == (2, 1, 1)


def test_a_timed_out_shard_marks_the_merged_suite() -> None:
    parts = [
        TestSuiteResult.from_results("p", [result(IDS[0])], exit_code=0),
        TestSuiteResult.from_results("p", [], exit_code=-15, timed_out=True, running_test=IDS[1]),
    ]
    merged = merge_suites("p", parts, IDS)
    assert merged.timed_out
    assert merged.running_test == IDS[1]


def test_durations_come_from_the_newest_results_file(tmp_path: Path) -> None:
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text(json.dumps({"event": "result", "nodeid": IDS[0], "duration_ms": 5}) + "\n")
    new.write_text(
        json.dumps({"event": "result", "nodeid": IDS[0], "duration_ms": 7.5}) + "\n{truncated"
    )
    assert durations_from_results([old, new]) == {IDS[0]: 7.5}
