"""Bisection finds the culprit within ceil(log2 n) + 1 runs (on a simulated runner)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from testing_lib.isolation.locate import find_cleaner, find_polluter, find_state_setter
from testing_lib.isolation.worker import ForkedRun
from testing_lib.results import TestStatus


class FakeSuite:
    """`victim` fails when `polluter` ran before it with no `cleaner` in between;
    `brittle` passes only when `setter` ran before it."""

    def __init__(self, polluter: str, cleaner: str | None = None, setter: str = "") -> None:
        self.polluter = polluter
        self.cleaner = cleaner
        self.setter = setter
        self.runs = 0

    def run(self, ids: Sequence[str]) -> ForkedRun:
        self.runs += 1
        outcomes: dict[str, TestStatus] = {}
        polluted = False
        setter_ran = False
        for nodeid in ids:
            if nodeid == self.polluter:
                polluted = True
            elif nodeid == self.cleaner:
                polluted = False
            elif nodeid == self.setter:
                setter_ran = True
            failing = (nodeid == "victim" and polluted) or (nodeid == "brittle" and not setter_ran)
            outcomes[nodeid] = TestStatus.FAILED if failing else TestStatus.PASSED
        return ForkedRun(
            ids=tuple(ids), outcomes=outcomes, messages={}, leaks=[], exit_code=0, timed_out=False
        )


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 200, 5000])
def test_the_polluter_is_found_within_log2_n_plus_1_runs(n: int) -> None:
    before = [f"t{i}" for i in range(n)]
    suite = FakeSuite(polluter=before[(n * 2) // 3])

    located = find_polluter(suite.run, "victim", before)

    assert located.found == suite.polluter
    assert located.runs == suite.runs <= math.ceil(math.log2(n)) + 1


@pytest.mark.parametrize("n", [2, 33, 1000])
def test_the_state_setter_is_found_within_log2_n_plus_1_runs(n: int) -> None:
    before = [f"t{i}" for i in range(n)]
    suite = FakeSuite(polluter="none", setter=before[n // 3])

    located = find_state_setter(suite.run, "brittle", before)

    assert located.found == suite.setter
    assert located.runs <= math.ceil(math.log2(n)) + 1


def test_a_cleaner_between_polluter_and_victim_is_found() -> None:
    others = [f"t{i}" for i in range(50)]
    suite = FakeSuite(polluter="t3", cleaner="t41")

    located = find_cleaner(suite.run, "t3", "victim", others)

    assert located.found == "t41"


def test_no_cleaner_costs_a_single_run() -> None:
    suite = FakeSuite(polluter="t3")

    located = find_cleaner(suite.run, "t3", "victim", [f"t{i}" for i in range(50)])

    assert (located.found, located.runs) == (None, 1)


def test_a_victim_needing_two_polluters_is_reported_without_a_culprit() -> None:
    class NeedsTwo(FakeSuite):
        def run(self, ids: Sequence[str]) -> ForkedRun:
            self.runs += 1
            fails = "a" in ids and "b" in ids
            return ForkedRun(
                ids=tuple(ids),
                outcomes={"victim": TestStatus.FAILED if fails else TestStatus.PASSED},
                messages={},
                leaks=[],
                exit_code=0,
                timed_out=False,
            )

    located = find_polluter(NeedsTwo("a").run, "victim", ["x", "a", "y", "b"])

    assert located.found is None
    assert located.note is not None
    assert "several tests" in located.note
