"""RedisCache over the library's ``mock_redis`` (fakeredis): JSON round trips, TTLs,
prefixes and graceful failure."""

from __future__ import annotations

from typing import Any

import fakeredis
from redis.exceptions import ConnectionError as RedisConnectionError

from mdra.services.cache import RedisCache, get_or_load


class DownRedis:
    """A redis.asyncio-compatible client whose server is unreachable."""

    async def get(self, name: str) -> Any:
        raise RedisConnectionError("connection refused")

    async def set(self, name: str, value: str, ex: int | None = None) -> Any:
        raise RedisConnectionError("connection refused")

    async def delete(self, *names: str) -> Any:
        raise RedisConnectionError("connection refused")

    async def ping(self) -> Any:
        raise RedisConnectionError("connection refused")

    async def aclose(self) -> None:
        return None


async def test_json_values_round_trip_through_redis(cache: RedisCache) -> None:
    value = {"total": 2, "results": [{"k_number": "K213456"}], "ok": True}

    await cache.set_json("search", value)

    assert await cache.get_json("search") == value
    assert await cache.get_json("absent") is None


async def test_entries_are_stored_under_the_prefix_with_a_ttl(
    cache: RedisCache, mock_redis: fakeredis.FakeAsyncRedis
) -> None:
    await cache.set_json("default", 1)
    await cache.set_json("short", 2, ttl_s=30)

    assert await mock_redis.ttl("mdra-test:default") == 300
    assert await mock_redis.ttl("mdra-test:short") == 30
    assert await mock_redis.exists("default") == 0


async def test_undecodable_entries_are_dropped(
    cache: RedisCache, mock_redis: fakeredis.FakeAsyncRedis
) -> None:
    await mock_redis.set("mdra-test:corrupt", b"{not json")

    assert await cache.get_json("corrupt") is None
    assert await mock_redis.exists("mdra-test:corrupt") == 0


async def test_cache_aside_loads_once_then_hits_redis(cache: RedisCache) -> None:
    loads: list[str] = []

    async def loader() -> list[str]:
        loads.append("x")
        return ["K213456"]

    assert await get_or_load(cache, "k", loader) == (["K213456"], False)
    assert await get_or_load(cache, "k", loader) == (["K213456"], True)
    assert loads == ["x"]


async def test_an_unreachable_redis_is_bypassed_not_fatal() -> None:
    cache = RedisCache(DownRedis())
    loads: list[int] = []

    async def loader() -> dict[str, int]:
        loads.append(1)
        return {"total": 0}

    assert await get_or_load(cache, "k", loader) == ({"total": 0}, False)
    assert await get_or_load(cache, "k", loader) == ({"total": 0}, False)
    assert loads == [1, 1]
    assert await cache.ping() is False


async def test_ping_reports_a_healthy_fake_redis(cache: RedisCache) -> None:
    assert await cache.ping() is True
