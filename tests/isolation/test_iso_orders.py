"""Orders are reproducible from their seed; module shuffles keep modules together."""

from __future__ import annotations

from itertools import groupby

import pytest

from testing_lib.isolation import build_orders

IDS = [f"tests/test_m{m}.py::test_{t}" for m in range(5) for t in range(6)]


def _modules(ids: tuple[str, ...]) -> list[str]:
    return [key for key, _ in groupby(nodeid.split("::")[0] for nodeid in ids)]


def test_four_orders_are_original_reversed_and_two_seeded_shuffles() -> None:
    orders = build_orders(IDS, 4, seed=7)

    assert [o.name for o in orders] == [
        "original",
        "reversed",
        "module-shuffle(seed=7)",
        "global-shuffle(seed=7)",
    ]
    assert orders[0].ids == tuple(IDS)
    assert orders[1].ids == tuple(reversed(IDS))
    assert all(sorted(o.ids) == sorted(IDS) for o in orders)


def test_the_same_seed_gives_the_same_orders_and_another_seed_does_not() -> None:
    assert build_orders(IDS, 6, seed=3) == build_orders(IDS, 6, seed=3)
    assert build_orders(IDS, 6, seed=3)[2].ids != build_orders(IDS, 6, seed=4)[2].ids


def test_a_module_shuffle_keeps_each_modules_tests_together() -> None:
    shuffled = build_orders(IDS, 3, seed=11)[2].ids

    assert len(_modules(shuffled)) == 5
    assert shuffled != tuple(IDS)


def test_extra_orders_alternate_module_and_global_shuffles_with_the_next_seeds() -> None:
    names = [o.name for o in build_orders(IDS, 6, seed=100)]

    assert names[2:] == [
        "module-shuffle(seed=100)",
        "global-shuffle(seed=100)",
        "module-shuffle(seed=101)",
        "global-shuffle(seed=101)",
    ]


def test_zero_orders_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        build_orders(IDS, 0, seed=1)
