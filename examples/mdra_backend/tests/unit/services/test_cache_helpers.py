"""Cache keys, the in-memory cache and the cache-aside helper (no Redis involved)."""

from __future__ import annotations

import pytest

from mdra.services.cache import InMemoryCache, cache_key, get_or_load


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_key_ignores_parameter_order_and_none_values() -> None:
    first = cache_key("ns", {"product_code": "DQY", "limit": 10, "device_name": None})
    second = cache_key("ns", {"limit": 10, "product_code": "DQY"})

    assert first == second
    assert first.startswith("ns:")


def test_cache_key_differs_when_any_value_differs() -> None:
    keys = {
        cache_key("ns", {"product_code": "DQY", "skip": 0}),
        cache_key("ns", {"product_code": "DQY", "skip": 10}),
        cache_key("ns", {"product_code": "LOX", "skip": 0}),
        cache_key("other", {"product_code": "DQY", "skip": 0}),
    }
    assert len(keys) == 4


async def test_in_memory_cache_round_trips_json_values() -> None:
    cache = InMemoryCache()
    await cache.set_json("k", {"results": [1, 2], "total": 2})

    assert await cache.get_json("k") == {"results": [1, 2], "total": 2}
    assert await cache.get_json("missing") is None


async def test_in_memory_entries_expire_after_their_ttl() -> None:
    clock = FakeClock()
    cache = InMemoryCache(default_ttl_s=60, clock=clock)
    await cache.set_json("short", "a", ttl_s=5)
    await cache.set_json("default", "b")

    clock.now += 5
    assert await cache.get_json("short") is None
    assert await cache.get_json("default") == "b"

    clock.now += 55
    assert await cache.get_json("default") is None


async def test_get_or_load_calls_the_loader_once_then_serves_from_cache() -> None:
    cache = InMemoryCache()
    calls: list[int] = []

    async def loader() -> dict[str, int]:
        calls.append(1)
        return {"total": 3}

    first = await get_or_load(cache, "key", loader)
    second = await get_or_load(cache, "key", loader)

    assert first == ({"total": 3}, False)
    assert second == ({"total": 3}, True)
    assert len(calls) == 1


async def test_loader_failures_are_not_cached() -> None:
    cache = InMemoryCache()

    async def failing() -> dict[str, int]:
        raise RuntimeError("upstream down")

    async def working() -> dict[str, int]:
        return {"total": 1}

    with pytest.raises(RuntimeError, match="upstream down"):
        await get_or_load(cache, "key", failing)
    assert await get_or_load(cache, "key", working) == ({"total": 1}, False)
