"""A TTL cache with an injected clock (the backend's Redis cache, in memory)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._items: dict[str, tuple[float, V]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> V | None:
        item = self._items.get(key)
        if item is None or item[0] <= self.clock():
            self._items.pop(key, None)
            self.misses += 1
            return None
        self.hits += 1
        return item[1]

    def set(self, key: str, value: V) -> None:
        self._items[key] = (self.clock() + self.ttl_s, value)

    def __len__(self) -> int:
        return len(self._items)
