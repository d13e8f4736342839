"""Apply a plan in slices: only the files under some paths, at most N moves at a time.

`slice_intents` turns the wanted move of every file outside the slice into a `keep` with
the reason, before the planner runs: the planner then checks fixtures, clashes and imports
for exactly the moves it makes (imports of files that stay still follow the ones that
move), so each slice can be applied, verified and undone on its own. Conftests lifted for
a moved test come on top of `max_moves`.
"""

from __future__ import annotations

from collections.abc import Sequence

from testing_lib.organizer.destinations import Intent
from testing_lib.organizer.modules import is_under

ONLY_REASON = "outside --only {paths}: a later slice"
MAX_REASON = "beyond --max-moves {count}: a later slice"


def _normalized(path: str) -> str:
    return path.replace("\\", "/").strip("/").removeprefix("./").rstrip("/")


def slice_intents(
    intents: dict[str, Intent], *, only: Sequence[str] = (), max_moves: int | None = None
) -> dict[str, Intent]:
    """`intents` with the moves outside the slice turned into keeps (sources in path order)."""
    if max_moves is not None and max_moves < 0:
        raise ValueError(f"max_moves must be 0 or more, not {max_moves}")
    folders = [_normalized(p) for p in only]
    sliced: dict[str, Intent] = {}
    moved = 0
    for path in sorted(intents):
        intent = intents[path]
        if intent.destination == path:
            sliced[path] = intent
        elif folders and not any(is_under(path, f) for f in folders):
            sliced[path] = Intent(path, "keep", ONLY_REASON.format(paths=", ".join(folders)))
        elif max_moves is not None and moved >= max_moves:
            sliced[path] = Intent(path, "keep", MAX_REASON.format(count=max_moves))
        else:
            sliced[path] = intent
            moved += 1
    return sliced
