"""Suspects: tests whose outcome depends on the order, and what running alone says of them.

A test that fails in some orders and passes in others, or fails in all of them, is a
suspect. Run alone, a suspect that passes is a victim (something before it breaks it), one
that fails but passes in some order is brittle (it needs something before it), and one
that fails everywhere is simply failing.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Literal

from testing_lib.isolation.locate import Located
from testing_lib.isolation.orders import TestOrder
from testing_lib.isolation.replay import Replayed
from testing_lib.isolation.worker import ForkedRun
from testing_lib.results import TestStatus

logger = logging.getLogger(__name__)

FAILING = (TestStatus.FAILED, TestStatus.ERROR)


@dataclass
class Suspect:
    test: str
    failing: list[str]  # order names
    passing: list[str]
    alone: TestStatus | None = None
    kind: Literal["victim", "brittle", "failing"] | None = None
    located: Located | None = None
    cleaner: Located | None = None
    message: str | None = None
    replayed: Future[Replayed] | None = None  # the replay command in new processes


def find_suspects(
    orders: list[TestOrder], runs: list[ForkedRun], max_suspects: int
) -> list[Suspect]:
    """Tests whose outcome differs between orders, then tests that failed in every order."""
    varying: list[Suspect] = []
    always: list[Suspect] = []
    for nodeid in orders[0].ids:
        failing: list[str] = []
        passing: list[str] = []
        for order, run in zip(orders, runs, strict=True):
            outcome = run.outcomes.get(nodeid)
            if outcome is None:
                continue  # not reached (the run crashed or timed out): no evidence
            (failing if outcome in FAILING else passing).append(order.name)
        if failing and passing:
            varying.append(Suspect(nodeid, failing, passing))
        elif failing:
            always.append(Suspect(nodeid, failing, passing))
    if len(varying) + len(always) > max_suspects:
        logger.warning(
            "%d tests fail in some order; checking only the first %d (max_suspects)",
            len(varying) + len(always),
            max_suspects,
        )
    return (varying + always)[:max_suspects]


def classify(suspect: Suspect, alone: ForkedRun) -> None:
    """Set the suspect's outcome alone and its kind from `alone`, its run by itself."""
    suspect.alone = alone.outcomes.get(suspect.test)
    failed_alone = alone.failed(suspect.test)
    if failed_alone and suspect.passing:
        suspect.kind = "brittle"
    elif not failed_alone:
        suspect.kind = "victim"
    else:
        suspect.kind = "failing"
