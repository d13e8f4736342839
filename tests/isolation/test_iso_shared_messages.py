"""Victims failing with one message in one order are bisected once: the others try that
polluter first, in one run, and are bisected only when it does not reproduce."""

from __future__ import annotations

from collections.abc import Sequence

from testing_lib.isolation.locate import Located
from testing_lib.isolation.shared_messages import (
    polluters_by_message,
    split_by_message,
    try_known_polluter,
)
from testing_lib.isolation.suspects import Suspect
from testing_lib.isolation.worker import ForkedRun
from testing_lib.results import TestStatus


def _suspect(test: str, message: str | None, kind: str = "victim") -> Suspect:
    suspect = Suspect(test=test, failing=["original"], passing=["reversed"])
    suspect.kind = kind  # type: ignore[assignment]
    suspect.message = message
    return suspect


def _key(suspect: Suspect) -> tuple[str, str] | None:
    return None if suspect.kind != "victim" else ("original", suspect.message or "")


def test_the_first_victim_of_each_message_is_bisected_and_the_others_wait() -> None:
    a, b, c = (
        _suspect("a", "KeyError: 'timeout'"),
        _suspect("b", "KeyError: 'timeout'"),
        _suspect("c", "x"),
    )
    brittle = _suspect("d", "KeyError: 'timeout'", kind="brittle")
    first, rest = split_by_message([a, b, brittle, c], _key)
    assert first == [a, brittle, c]
    assert rest == [b]
    a.located = Located("p", 5)
    assert polluters_by_message(first, _key) == {("original", "KeyError: 'timeout'"): "p"}


class _Runs:
    def __init__(self, polluters: dict[str, str]) -> None:
        self.polluters = polluters  # victim -> the test that breaks it
        self.calls: list[list[str]] = []

    def __call__(self, ids: Sequence[str]) -> ForkedRun:
        self.calls.append(list(ids))
        victim = ids[-1]
        broken = self.polluters.get(victim) in ids[:-1]
        outcomes = {victim: TestStatus.FAILED if broken else TestStatus.PASSED}
        return ForkedRun(tuple(ids), outcomes, {}, [], 0, False)


def test_the_shared_polluter_is_tried_in_one_run_and_bisection_follows_when_it_is_not() -> None:
    runs = _Runs({"b": "p", "c": "q"})
    assert try_known_polluter(runs, "p", "b", ["x", "p", "y"]) == Located("p", 1, None)
    assert runs.calls == [["p", "b"]]
    assert try_known_polluter(runs, "p", "c", ["p", "q"]) is None  # not its polluter
    assert try_known_polluter(runs, "p", "c", ["q"]) is None  # p never ran before c
    assert try_known_polluter(runs, None, "c", ["q"]) is None
    assert len(runs.calls) == 2
