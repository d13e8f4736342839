"""The plan by reason: moves grouped by where they go, files that stay grouped by why.

`group_plan` is what the CLI's table and JSON show: one group per kind of move (`move ->
tests/unit/`, `quarantine -> tests/quarantine/`, `lift_conftest -> tests/`) and one per
kind of reason a file stays (`stays: its package moves whole or not at all`), each with
its files in path order. Reasons are the planner's own sentences, so the kinds are read
from their fixed wording (`_STAY_KINDS`, most specific first).
"""

from __future__ import annotations

from collections import defaultdict

from testing_lib.organizer.models import PlanEntry, PlanGroup

_STAY_KINDS: tuple[tuple[str, str], ...] = (
    ("moves whole or not at all", "stays: its package moves whole or not at all"),
    ("a later slice", "stays: not in this slice (--only / --max-moves)"),
    ("would lose fixture", "stays: a fixture would stop resolving"),
    ("could not import it", "stays: an import of it could not follow"),
    ("would capture", "stays: it would shadow another import"),
    ("cannot be rewritten", "stays: its imports cannot be rewritten"),
    ("cannot be parsed", "stays: cannot be parsed"),
    ("application code", "stays: application code is never moved"),
    ("conftest.py stays", "stays: conftest.py configures its folder"),
    ("no pytest run collects", "stays: holds tests pytest never collects"),
    ("already", "stays: already in the layout"),
    ("its imports follow", "stays: only its imports change"),
)


def _layout_folder(destination: str) -> str:
    parts = destination.split("/")[:-1]
    return "/".join(parts[:2]) + "/" if parts else "./"


def group_of(entry: PlanEntry) -> str:
    """The group label of one plan entry."""
    if entry.moves:
        return f"{entry.action} -> {_layout_folder(entry.destination)}"
    for words, label in _STAY_KINDS:
        if words in entry.reason:
            return label
    return "stays"


def group_plan(entries: list[PlanEntry]) -> list[PlanGroup]:
    """Moves first (by destination), then the files that stay (largest group first)."""
    groups: dict[str, list[PlanEntry]] = defaultdict(list)
    for entry in entries:
        groups[group_of(entry)].append(entry)
    ordered = sorted(
        groups.items(),
        key=lambda item: (
            not item[1][0].moves,
            -len(item[1]) if not item[1][0].moves else 0,
            item[0],
        ),
    )
    return [
        PlanGroup(label=label, moves=members[0].moves, files=sorted(e.source for e in members))
        for label, members in ordered
    ]
