"""Locating the polluter of a test already known to fail in some order (`--victim`).

Detection is skipped: the validator checks that the victim passes alone and fails after
every other collected test (the collected order, the victim last), then bisects the other
tests for the one that makes it fail, and confirms the pair by replay as usual. This is
the like-for-like comparison with detect-test-pollution's `--failing-test`.

When a cleaner runs between the polluter and the victim in the collected order, the victim
passes there; the others are then tried reversed and in a few seeded shuffles (the victim
last each time) until one order makes it fail, and that order is bisected.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from testing_lib.exceptions import RunnerError
from testing_lib.isolation.locate import find_polluter
from testing_lib.isolation.orders import TestOrder, global_shuffle
from testing_lib.isolation.suspects import Suspect
from testing_lib.isolation.worker import ForkedRun, ForkWorker


def resolve_victim(given: str, ids: Sequence[str], rootdir_from_root: str) -> str:
    """`given` as pytest spells it (relative to its rootdir); it may be root-relative."""
    if given in ids:
        return given
    prefix = "" if rootdir_from_root in ("", ".") else rootdir_from_root.rstrip("/") + "/"
    if prefix and given.startswith(prefix) and given[len(prefix) :] in ids:
        return given[len(prefix) :]
    raise RunnerError(
        f"--victim {given}: pytest did not collect that test (node ids are relative to "
        f"pytest's rootdir, e.g. {ids[0] if ids else 'tests/test_x.py::test_y'})"
    )


KNOWN_VICTIM_SHUFFLES = 8  # shuffles tried when the collected and reversed orders pass


def _victim_last(
    ids: Sequence[str], others: list[str], victim: str, seed: int
) -> Iterator[TestOrder]:
    position = list(ids).index(victim)
    if position < len(ids) - 1:
        # first as a plain run meets it: after the tests collected before it (a module-scoped
        # fixture shared with them is still the one they changed)
        yield TestOrder(kind="original", ids=(*ids[:position], victim))
    yield TestOrder(kind="given", ids=(*others, victim))
    yield TestOrder(kind="reversed", ids=(*reversed(others), victim))
    for offset in range(KNOWN_VICTIM_SHUFFLES):
        shuffled = global_shuffle(others, seed + offset)
        yield TestOrder(kind="global-shuffle", ids=(*shuffled, victim), seed=seed + offset)


def locate_known_victim(
    worker: ForkWorker, victim: str, ids: Sequence[str], seed: int = 0
) -> tuple[TestOrder, ForkedRun, Suspect]:
    """Run the victim alone, then after the tests collected before it, then after every
    other test, until an order makes it fail; bisect that order for its polluter."""
    others = [nodeid for nodeid in ids if nodeid != victim]
    alone = worker.run([victim])
    suspect = Suspect(victim, failing=[], passing=[], alone=alone.outcomes.get(victim))
    if alone.failed(victim):
        suspect.kind = "failing"  # fails alone: no polluter to find
        order = TestOrder(kind="given", ids=(*others, victim))
        return order, worker.run(order.ids), suspect
    for order in _victim_last(ids, others, victim, seed):
        full = worker.run(order.ids)
        if full.failed(victim):
            break
        suspect.passing.append(order.name)
    else:
        suspect.kind = None  # passes after every other test in every order: nothing to locate
        return order, full, suspect
    suspect.kind = "victim"
    suspect.failing = [order.name]
    suspect.passing = ["alone", *suspect.passing]
    suspect.message = full.messages.get(victim)
    suspect.located = find_polluter(worker.run, victim, list(order.ids[:-1]))
    return order, full, suspect
