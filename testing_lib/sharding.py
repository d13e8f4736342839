"""Sharded gates: the balanced split, durations from earlier runs, merging shard results.

The split itself runs inside each shard's pytest process (the injected, stdlib-only
`remediation_shard` plugin, re-exported here): greedy longest-first onto the least-loaded
shard (LPT); tests without a known duration get the median of the known ones (1 ms when
nothing is known), so a first run still splits evenly by count. Merging keeps collection
order, so a sharded gate reports the same `TestSuiteResult` as an unsharded one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from testing_lib.results import CollectionError, TestSuiteResult
from testing_lib.runner.target_plugins import split_balanced

__all__ = ["durations_from_results", "merge_suites", "split_balanced"]


def merge_suites(
    suite_name: str, parts: Sequence[TestSuiteResult], order: Sequence[str] = ()
) -> TestSuiteResult:
    """One suite from shard suites; results follow `order` (collection order) when given."""
    position = {test: index for index, test in enumerate(order)}
    results = [r for part in parts for r in part.results]
    results.sort(key=lambda r: position.get(r.test_name, len(position)))
    errors: dict[str, CollectionError] = {}
    for part in parts:
        for error in part.collection_errors:
            errors.setdefault(error.nodeid, error)
    exit_codes = [p.exit_code for p in parts if p.exit_code is not None]
    # pytest's 5 ("no tests collected") from a shard that got no tests says nothing about
    # the others: report the most telling code (a failure or error), else 0, else 5.
    telling = [code for code in exit_codes if code not in (0, 5)]
    timed_out = [p for p in parts if p.timed_out]
    unfinished = [p for p in parts if p.session_finished is False]
    stopped = timed_out or unfinished
    known = [p.session_finished for p in parts if p.session_finished is not None]
    return TestSuiteResult.from_results(
        suite_name,
        results,
        selection=sorted({s for p in parts for s in p.selection}),
        collected=sum(p.collected or 0 for p in parts) if parts else None,
        collection_errors=list(errors.values()),
        exit_code=telling[0]
        if telling
        else (0 if 0 in exit_codes else (5 if exit_codes else None)),
        timed_out=bool(timed_out),
        running_test=stopped[0].running_test if stopped else None,
        session_finished=all(known) if known else None,
        stderr_tail="\n".join(p.stderr_tail for p in parts if p.exit_code not in (0, None))[-4000:],
    )


def durations_from_results(files: Iterable[Path]) -> dict[str, float]:
    """Last known duration per test id from runner result files (newest file last wins)."""
    durations: dict[str, float] = {}
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "result" and isinstance(event.get("duration_ms"), int | float):
                durations[str(event["nodeid"])] = float(event["duration_ms"])
    return durations
