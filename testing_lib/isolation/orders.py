"""The orders a selection is run in: original, reversed, seeded shuffles (module and global).

A module-level shuffle keeps each module's tests together (as pytest-randomly does): it
shuffles the modules, the classes within a module and the tests within a class. A global
shuffle mixes every test with every other. Both are reproducible from their seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

OrderKind = Literal["original", "reversed", "module-shuffle", "global-shuffle", "given"]


@dataclass(frozen=True)
class TestOrder:
    __test__ = False

    kind: OrderKind
    ids: tuple[str, ...]
    seed: int | None = None

    @property
    def name(self) -> str:
        return self.kind if self.seed is None else f"{self.kind}(seed={self.seed})"


def _parent(nodeid: str) -> str:
    """The module or class a test belongs to (its node id without the last part)."""
    return nodeid.rsplit("::", 1)[0]


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _grouped(ids: Sequence[str], key: object) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for nodeid in ids:
        groups.setdefault(key(nodeid), []).append(nodeid)  # type: ignore[operator]
    return groups


def module_shuffle(ids: Sequence[str], seed: int) -> tuple[str, ...]:
    """Shuffle modules, then classes within each module, then tests within each class."""
    rng = random.Random(seed)  # noqa: S311  a reproducible order, not a secret
    modules = _grouped(ids, _module)
    order = list(modules)
    rng.shuffle(order)
    shuffled: list[str] = []
    for module in order:
        classes = _grouped(modules[module], _parent)
        class_order = list(classes)
        rng.shuffle(class_order)
        for name in class_order:
            tests = list(classes[name])
            rng.shuffle(tests)
            shuffled.extend(tests)
    return tuple(shuffled)


def global_shuffle(ids: Sequence[str], seed: int) -> tuple[str, ...]:
    shuffled = list(ids)
    random.Random(seed).shuffle(shuffled)  # noqa: S311  a reproducible order
    return tuple(shuffled)


def build_orders(ids: Sequence[str], count: int, seed: int) -> list[TestOrder]:
    """`count` orders: original, reversed, then module and global shuffles alternating.

    The k-th shuffle of a kind uses seed `seed + k` (k from 0), so one seed replays them all.
    """
    if count < 1:
        raise ValueError("orders must be at least 1 (the original order)")
    original = tuple(ids)
    orders = [TestOrder("original", original)]
    if count >= 2:
        orders.append(TestOrder("reversed", tuple(reversed(original))))
    for index in range(count - 2):
        offset = index // 2
        if index % 2 == 0:
            orders.append(
                TestOrder("module-shuffle", module_shuffle(original, seed + offset), seed + offset)
            )
        else:
            orders.append(
                TestOrder("global-shuffle", global_shuffle(original, seed + offset), seed + offset)
            )
    return orders
