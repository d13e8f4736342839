"""Locate by bisection: the polluter of a victim, the state-setter of a brittle test, cleaners.

Each search keeps the candidates in the order they ran and halves them, running the first
half followed by the subject: about log2(n) runs for n candidates, then one run of the pair
alone to verify it. A search that assumes a single culprit can be misled when several tests
are needed together; the verification run catches that, and the result then names none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from testing_lib.isolation.worker import ForkedRun

RunTests = Callable[[Sequence[str]], ForkedRun]


@dataclass(frozen=True)
class Located:
    found: str | None
    runs: int
    note: str | None = None


def _bisect(
    run: RunTests,
    candidates: Sequence[str],
    build: Callable[[Sequence[str]], list[str]],
    reproduces: Callable[[ForkedRun], bool],
) -> tuple[str | None, int]:
    """Halve `candidates` while `reproduces(run(build(half)))` says the culprit is in `half`.

    Precondition: `build(candidates)` reproduces. Returns the last candidate and runs used.
    """
    remaining = list(candidates)
    runs = 0
    while len(remaining) > 1:
        half = remaining[: len(remaining) // 2]
        runs += 1
        if reproduces(run(build(half))):
            remaining = half
        else:
            remaining = remaining[len(remaining) // 2 :]
    return (remaining[0] if remaining else None), runs


def find_polluter(run: RunTests, victim: str, ran_before: Sequence[str]) -> Located:
    """The test that makes `victim` fail, among the tests that ran before it in a failing order."""
    if not ran_before:
        return Located(None, 0, "it failed with no test before it")
    found, runs = _bisect(
        run,
        ran_before,
        lambda half: [*half, victim],
        lambda result: result.failed(victim),
    )
    assert found is not None
    runs += 1
    if run([found, victim]).failed(victim):
        return Located(found, runs)
    return Located(
        None,
        runs,
        "no single earlier test makes it fail: several tests together, or a flaky test",
    )


def find_state_setter(run: RunTests, test: str, ran_before: Sequence[str]) -> Located:
    """The test that makes a brittle `test` pass, among those before it in a passing order."""
    if not ran_before:
        return Located(None, 0, "it passed with no test before it")
    found, runs = _bisect(
        run,
        ran_before,
        lambda half: [*half, test],
        lambda result: not result.failed(test),
    )
    assert found is not None
    runs += 1
    if not run([found, test]).failed(test):
        return Located(found, runs)
    return Located(
        None,
        runs,
        "no single earlier test makes it pass: it needs several tests' state, or it is flaky",
    )


def find_cleaner(run: RunTests, polluter: str, victim: str, others: Sequence[str]) -> Located:
    """A test that, run between `polluter` and `victim`, makes `victim` pass again."""
    candidates = [t for t in others if t not in (polluter, victim)]
    if not candidates:
        return Located(None, 0)
    runs = 1
    if run([polluter, *candidates, victim]).failed(victim):
        return Located(None, runs)  # nothing among them undoes the pollution
    found, steps = _bisect(
        run,
        candidates,
        lambda half: [polluter, *half, victim],
        lambda result: not result.failed(victim),
    )
    runs += steps + 1
    assert found is not None
    if not run([polluter, found, victim]).failed(victim):
        return Located(found, runs)
    return Located(None, runs, "only several tests together undo the pollution")
