"""Victims that fail with one message in one order: bisected once, not once each.

A polluter that breaks shared state (a key deleted from a shared settings object) often
makes hundreds of tests fail with the same message. Bisecting each costs ≈ log2(n) runs
apiece; instead the first of each group is bisected, and for the others its polluter is
tried first, in one run of the pair (the verification `find_polluter` ends with anyway).
A victim the pair does not reproduce is bisected as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence

from testing_lib.isolation.locate import Located, RunTests
from testing_lib.isolation.suspects import Suspect

GroupKey = Callable[[Suspect], Hashable | None]


def split_by_message(
    suspects: Iterable[Suspect], key: GroupKey
) -> tuple[list[Suspect], list[Suspect]]:
    """(the first of each group and every suspect without a group, the others)."""
    first: list[Suspect] = []
    rest: list[Suspect] = []
    seen: set[Hashable] = set()
    for suspect in suspects:
        group = key(suspect)
        if group is not None and group in seen:
            rest.append(suspect)
            continue
        if group is not None:
            seen.add(group)
        first.append(suspect)
    return first, rest


def polluters_by_message(located: Iterable[Suspect], key: GroupKey) -> dict[Hashable, str]:
    """The polluter bisection found for each group's first victim."""
    found: dict[Hashable, str] = {}
    for suspect in located:
        group = key(suspect)
        if group is not None and suspect.located is not None and suspect.located.found:
            found[group] = suspect.located.found
    return found


def try_known_polluter(
    run: RunTests, known: str | None, victim: str, ran_before: Sequence[str]
) -> Located | None:
    """`known` as the victim's polluter when it ran before it and the pair reproduces in one
    run; None: bisect."""
    if known is None or known not in ran_before:
        return None
    if run([known, victim]).failed(victim):
        return Located(known, 1, None)
    return None
