"""Fixtures follow moved tests: a conftest left behind is lifted, or the test stays.

Every fixture a moved test reaches (its own requests, transitively, and autouse ones)
must resolve to the same definition at its destination. If a conftest would be left
behind, it is lifted to the nearest folder above all its users, when that folder has no
conftest, it has no autouse fixtures or hooks, and no other test there would see a
fixture change; otherwise the test file stays where it is, with the reason.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from testing_lib.organizer.destinations import Intent
from testing_lib.organizer.modules import ModuleIndex, is_under, join, parent
from testing_lib.organizer.planned_tree import PlannedTree
from testing_lib.organizer.scopes import EXTERNAL, MODULE, Resolution


def _common_folder(a: str, b: str) -> str:
    parts_a = PurePosixPath(a).parts if a else ()
    parts_b = PurePosixPath(b).parts if b else ()
    common = []
    for x, y in zip(parts_a, parts_b, strict=False):
        if x != y:
            break
        common.append(x)
    return "/".join(common)


class ConftestLifting:
    """Keeps moved tests' fixtures: the conftests it lifted, and the lifts it refused."""

    def __init__(self, tree: PlannedTree) -> None:
        self.tree = tree
        self.audit = tree.audit
        self.lifts: dict[str, str] = {}  # conftest -> its new path
        self.lift_refused: dict[str, str] = {}  # conftest -> why it cannot be lifted

    def _chain(self, index: ModuleIndex, location: str, back: dict[str, str]) -> list[str]:
        """Conftests above `location` in a planned tree, as their current paths."""
        return [back.get(c, c) for c in index.ancestor_conftests(location)]

    def _closure(self, path: str, chain: list[str]) -> dict[str, Resolution]:
        analysis = self.audit.analyses[path]
        names: list[str] = []
        for test in analysis.tests:
            names += test.fixtures
        return self.audit.scopes.closure(analysis, chain, names)

    def check(
        self,
        placement: dict[str, str],
        index: ModuleIndex,
        *,
        intents: dict[str, Intent],
        pinned: dict[str, str],
        notes: dict[str, list[str]],
    ) -> bool:
        """Lift conftests (recorded in `lifts` and `intents`) or pin tests (in `pinned`)
        so that every moved test keeps its fixtures; autouse fixtures a test gains go in
        `notes`. True when anything changed, so the placement must be worked out again.
        """
        back = {d: s for s, d in placement.items()}
        old_index = self.audit.index
        changed = False
        for path in sorted(placement):
            destination = placement[path]
            if path == destination or self.audit.kinds.get(path) != "test":
                continue
            before = self._closure(path, old_index.ancestor_conftests(path))
            after = self._closure(path, self._chain(index, destination, back))
            lost = {
                key: resolution
                for key, resolution in before.items()
                if after.get(key, Resolution(EXTERNAL, None)).owner != resolution.owner
            }
            gained = sorted(
                k for k, r in after.items() if k not in before and r.owner not in (MODULE, EXTERNAL)
            )
            if gained:
                notes.setdefault(path, []).append(
                    "gains autouse fixture(s) " + ", ".join(gained) + " at its destination"
                )
            if not lost:
                continue
            owners = sorted({r.owner for r in lost.values() if r.owner not in (MODULE, EXTERNAL)})
            lifted_any = False
            for owner in owners:
                if owner in self.lifts:
                    continue
                if self._try_lift(owner, placement, index, intents):
                    lifted_any = True
            if lifted_any:
                changed = True
                continue
            names = ", ".join(sorted(k.split("@")[0] for k in lost))
            why = "; ".join(self.lift_refused.get(o, "") for o in owners if o in self.lift_refused)
            pinned[path] = (
                f"stays: at {destination} it would lose fixture(s) {names} from "
                f"{', '.join(owners) or 'a conftest'}" + (f" ({why})" if why else "")
            )
            changed = True
        return changed

    def _try_lift(
        self,
        conftest: str,
        placement: dict[str, str],
        index: ModuleIndex,
        intents: dict[str, Intent],
    ) -> bool:
        if conftest in self.lift_refused:
            return False
        folder = parent(conftest)
        scopes = self.audit.scopes
        if scopes.autouse(conftest) or scopes.hooks.get(conftest):
            hooks = scopes.autouse(conftest) + scopes.hooks.get(conftest, [])
            self.lift_refused[conftest] = (
                f"{conftest} has autouse fixtures or hooks ({', '.join(hooks)}) that would start "
                "applying to other tests if lifted"
            )
            return False
        users = []
        for path, kind in self.audit.kinds.items():
            if kind != "test" or not is_under(path, folder):
                continue
            closure = self._closure(path, self.audit.index.ancestor_conftests(path))
            if any(r.owner == conftest for r in closure.values()):
                users.append(path)
        target = folder
        for user in users:
            target = _common_folder(target, parent(placement[user]))
        if target == folder:
            return False
        new_path = join(target, "conftest.py")
        if new_path in index.files or (self.tree.root / new_path).exists():
            self.lift_refused[conftest] = (
                f"{new_path} already exists; merging conftest files is left to a person"
            )
            return False
        # Would any other test under the new folder see a different fixture?
        trial = dict(placement)
        trial[conftest] = new_path
        _, inits = self.tree.new_packages(trial)
        trial_index = self.tree.index_for(trial, inits)
        back = {d: s for s, d in trial.items()}
        for path, kind in self.audit.kinds.items():
            if kind != "test" or path in users:
                continue
            location = placement.get(path, path)
            if not is_under(location, target):
                continue
            before = self._closure(
                path, self._chain(index, location, {d: s for s, d in placement.items()})
            )
            after = self._closure(path, self._chain(trial_index, location, back))
            if {k: r.owner for k, r in before.items()} != {k: r.owner for k, r in after.items()}:
                self.lift_refused[conftest] = (
                    f"lifting it to {new_path} would change the fixtures {path} gets"
                )
                return False
        self.lifts[conftest] = new_path
        intents[conftest] = Intent(
            new_path,
            "lift_conftest",
            f"lifted so its fixtures still reach {', '.join(sorted(users))} after the move",
        )
        return True
