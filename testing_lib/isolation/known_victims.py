"""Locating the polluter of a test already known to fail in some order (`--victim`).

Detection is skipped: the validator checks that the victim passes alone and fails after
every other collected test (the collected order, the victim last), then bisects the other
tests for the one that makes it fail, and confirms the pair by replay as usual. This is
the like-for-like comparison with detect-test-pollution's `--failing-test`.
"""

from __future__ import annotations

from collections.abc import Sequence

from testing_lib.exceptions import RunnerError
from testing_lib.isolation.locate import find_polluter
from testing_lib.isolation.orders import TestOrder
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


def locate_known_victim(
    worker: ForkWorker, victim: str, ids: Sequence[str]
) -> tuple[TestOrder, ForkedRun, Suspect]:
    """Run the victim after every other test, and alone; bisect for its polluter."""
    others = [nodeid for nodeid in ids if nodeid != victim]
    order = TestOrder(kind="given", ids=(*others, victim))
    full = worker.run(order.ids)
    alone = worker.run([victim])
    suspect = Suspect(victim, failing=[], passing=[], alone=alone.outcomes.get(victim))
    if alone.failed(victim):
        suspect.kind = "failing"  # fails alone: no polluter to find
        return order, full, suspect
    if not full.failed(victim):
        suspect.kind = None  # passes after every other test: nothing to locate
        suspect.passing = [order.name]
        return order, full, suspect
    suspect.kind = "victim"
    suspect.failing = [order.name]
    suspect.passing = ["alone"]
    suspect.message = full.messages.get(victim)
    suspect.located = find_polluter(worker.run, victim, others)
    return order, full, suspect
