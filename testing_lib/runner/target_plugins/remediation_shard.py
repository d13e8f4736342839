"""Keep one shard of the collected tests (injected into a target's pytest run).

Standard library and pytest only, Python 3.9 syntax. Inert unless ``REMEDIATION_SHARD`` is
set to ``INDEX/COUNT`` (0-based). Every shard collects the whole selection and keeps its own
share, so no separate collection pass is needed; shares are balanced by the durations in
the JSON file named by ``REMEDIATION_SHARD_DURATIONS`` (``{node id: ms}``), longest first
onto the least-loaded shard. The split depends only on the collected ids and durations, so
all shards agree without talking to each other, and new tests are placed too.
"""

from __future__ import annotations

import heapq
import json
import os
import statistics
from collections.abc import Mapping, Sequence

import pytest

SHARD_ENV = "REMEDIATION_SHARD"
DURATIONS_ENV = "REMEDIATION_SHARD_DURATIONS"
_UNKNOWN_MS = 1.0


def split_balanced(
    test_ids: Sequence[str], durations_ms: Mapping[str, float], shards: int
) -> list[list[str]]:
    """`shards` lists of ids (each in collection order), balanced by duration (LPT)."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    known = [durations_ms[t] for t in test_ids if t in durations_ms]
    default = statistics.median(known) if known else _UNKNOWN_MS
    position = {test: index for index, test in enumerate(test_ids)}
    weighted = sorted(test_ids, key=lambda t: (-durations_ms.get(t, default), position[t]))
    heap = [(0.0, shard) for shard in range(shards)]
    buckets: list[list[str]] = [[] for _ in range(shards)]
    for test in weighted:
        load, shard = heapq.heappop(heap)
        buckets[shard].append(test)
        heapq.heappush(heap, (load + durations_ms.get(test, default), shard))
    return [sorted(bucket, key=position.__getitem__) for bucket in buckets]


def _parse(value: str) -> tuple[int, int]:
    index, _, count = value.partition("/")
    shard, total = int(index), int(count)
    if total < 1 or not 0 <= shard < total:
        raise pytest.UsageError(
            f"{SHARD_ENV}={value!r}: expected INDEX/COUNT with 0 <= INDEX < COUNT"
        )
    return shard, total


def _durations() -> dict[str, float]:
    path = os.environ.get(DURATIONS_ENV)
    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        loaded = json.load(handle)
    return {str(k): float(v) for k, v in loaded.items()}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    value = os.environ.get(SHARD_ENV)
    if not value:
        return
    shard, total = _parse(value)
    ids = [item.nodeid for item in items]
    keep = set(split_balanced(ids, _durations(), total)[shard])
    kept = [item for item in items if item.nodeid in keep]
    dropped = [item for item in items if item.nodeid not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept
