"""Split a selection into N shards balanced by known test durations; merge shard results.

Balancing is greedy longest-first onto the least-loaded shard (LPT). Tests without a known
duration get the median of the known ones (1 ms when nothing is known), so a first run
still splits evenly by count. Merging keeps the original collection order, so a sharded
gate reports the same `TestSuiteResult` as an unsharded one.
"""

from __future__ import annotations

import heapq
import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from testing_lib.results import CollectionError, TestSuiteResult

_UNKNOWN_MS = 1.0


def split_balanced(
    test_ids: Sequence[str], durations_ms: Mapping[str, float], shards: int
) -> list[list[str]]:
    """`shards` lists of test ids (each in collection order), balanced by duration."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    known = [durations_ms[t] for t in test_ids if t in durations_ms]
    default = statistics.median(known) if known else _UNKNOWN_MS
    position = {test: index for index, test in enumerate(test_ids)}
    weighted = sorted(test_ids, key=lambda t: (-durations_ms.get(t, default), position[t]))
    heap: list[tuple[float, int]] = [(0.0, shard) for shard in range(shards)]
    buckets: list[list[str]] = [[] for _ in range(shards)]
    for test in weighted:
        load, shard = heapq.heappop(heap)
        buckets[shard].append(test)
        heapq.heappush(heap, (load + durations_ms.get(test, default), shard))
    return [sorted(bucket, key=position.__getitem__) for bucket in buckets if bucket]


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
    timed_out = [p for p in parts if p.timed_out]
    return TestSuiteResult.from_results(
        suite_name,
        results,
        selection=sorted({s for p in parts for s in p.selection}),
        collected=sum(p.collected or 0 for p in parts) if parts else None,
        collection_errors=list(errors.values()),
        exit_code=max(exit_codes, key=abs) if exit_codes else None,
        timed_out=bool(timed_out),
        running_test=timed_out[0].running_test if timed_out else None,
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
