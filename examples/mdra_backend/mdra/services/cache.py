"""JSON cache with TTLs: Redis (any ``redis.asyncio``-compatible client) or in-process memory.

``get_or_load`` is the cache-aside helper: read, else load and store. A cache that fails
(Redis down, bad entry) is logged and bypassed: it never breaks the request it serves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class AsyncRedisLike(Protocol):
    async def get(self, name: str) -> Any: ...

    async def set(self, name: str, value: str, ex: int | None = None) -> Any: ...

    async def delete(self, *names: str) -> Any: ...

    async def ping(self) -> Any: ...

    async def aclose(self) -> None: ...


class Cache(Protocol):
    async def get_json(self, key: str) -> Any | None: ...

    async def set_json(self, key: str, value: Any, ttl_s: int | None = None) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def aclose(self) -> None: ...


def cache_key(namespace: str, params: Mapping[str, Any]) -> str:
    """A stable key for ``params`` (order-independent, ``None`` values dropped)."""
    canonical = json.dumps(
        {k: v for k, v in params.items() if v is not None}, sort_keys=True, default=str
    )
    return f"{namespace}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


class RedisCache:
    def __init__(self, redis: AsyncRedisLike, *, prefix: str = "mdra:", default_ttl_s: int = 3600):
        if default_ttl_s < 1:
            raise ValueError("default_ttl_s must be at least 1 second")
        self.redis = redis
        self.prefix = prefix
        self.default_ttl_s = default_ttl_s

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisCache:
        from redis.asyncio import Redis

        return cls(Redis.from_url(url, decode_responses=True), **kwargs)

    async def get_json(self, key: str) -> Any | None:
        try:
            raw = await self.redis.get(self.prefix + key)
        except (RedisError, OSError) as exc:
            logger.warning("cache read failed for %s: %s", key, exc)
            return None
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            logger.warning("dropping undecodable cache entry %s", key)
            await self.delete(key)
            return None

    async def set_json(self, key: str, value: Any, ttl_s: int | None = None) -> None:
        ttl = ttl_s if ttl_s is not None else self.default_ttl_s
        try:
            await self.redis.set(self.prefix + key, json.dumps(value), ex=ttl)
        except (RedisError, OSError) as exc:
            logger.warning("cache write failed for %s: %s", key, exc)

    async def delete(self, key: str) -> None:
        try:
            await self.redis.delete(self.prefix + key)
        except (RedisError, OSError) as exc:
            logger.warning("cache delete failed for %s: %s", key, exc)

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False

    async def aclose(self) -> None:
        await self.redis.aclose()


class InMemoryCache:
    """Process-local stand-in used when ``REDIS_URL`` is empty."""

    def __init__(
        self, *, default_ttl_s: int = 3600, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.default_ttl_s = default_ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, str]] = {}

    async def get_json(self, key: str) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, raw = entry
        if self._clock() >= expires_at:
            del self._entries[key]
            return None
        return json.loads(raw)

    async def set_json(self, key: str, value: Any, ttl_s: int | None = None) -> None:
        ttl = ttl_s if ttl_s is not None else self.default_ttl_s
        self._entries[key] = (self._clock() + ttl, json.dumps(value))

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._entries.clear()


async def get_or_load(
    cache: Cache,
    key: str,
    loader: Callable[[], Awaitable[Any]],
    *,
    ttl_s: int | None = None,
) -> tuple[Any, bool]:
    """Cache-aside: ``(value, True)`` from the cache, else ``(await loader(), False)`` stored.

    ``loader`` must return JSON-serialisable data; exceptions from it propagate uncached.
    """
    cached = await cache.get_json(key)
    if cached is not None:
        return cached, True
    value = await loader()
    await cache.set_json(key, value, ttl_s)
    return value, False
