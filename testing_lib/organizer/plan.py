"""`create_plan`: the standard layout for a suite, derived from its audit, safe to apply.

Where each file goes (under the test root, `tests/` unless `testpaths` says otherwise):

- test modules: `<category>/<area>/` (`performance/` is flat; no area when nothing points
  at one); files already in their category's folder stay;
- files whose every test copies another file's: `quarantine/` (still collected, never
  deleted: a person decides);
- helpers (and modules named like tests that hold none): `fixtures/`, without the `test_`
  prefix, so pytest stops importing them as tests;
- scripts posing as tests: `scripts/` at the root, without the `test_` prefix;
- conftest.py files stay, unless they must follow their tests (see below).

Then, until nothing changes:

0. packages: a module stays inside a package whose `__init__.py` re-exports modules or
   runs code, and a module an `__init__.py` imports stays where it is (`package_bounds`:
   the organizer moves no `__init__.py`, so a package moves whole or not at all);
1. clashes: a destination that exists, is wanted twice, or would give two test modules
   one module name (no `__init__.py`) is resolved deterministically: files that stay keep
   their name, then sources in path order; the others get the area in their name
   (`test_services_helpers.py`), then a number. Each resolution is reported;
2. fixtures: every fixture a moved test reaches (its own requests, transitively, and
   autouse ones) must resolve to the same definition at its destination. If a conftest
   would be left behind, it is lifted to the nearest folder above all its users, when that
   folder has no conftest, it has no autouse fixtures or hooks, and no other test there
   would see a fixture change; otherwise the test file stays where it is, with the reason;
3. imports: every import of a moved module (and every import in a moved file) must still
   name the same file from the new place: relative when both ends share a package, by its
   pytest name when its folder is on the importer's path, from the root when the root is
   importable (`pythonpath`, a root conftest, or the suite already imports that way).
   When no form works, the imported module stays (or, failing that, the importer).

New folders inside a package get an empty `__init__.py`, so module names stay as unique as
they were. Relative imports outside packages (a collection error today) are rewritten to
an absolute form even for files that do not move.

`_Planner` runs that loop; each step lives in its own module: `destinations` (where a
file wants to go), `plan_clashes`, `conftest_lifting`, `import_rewrites`, `planned_tree`
(the folders and module names a placement gives) and `plan_entries` (the plan's rows).
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from testing_lib.organizer.audit import Audit
from testing_lib.organizer.conftest_lifting import ConftestLifting
from testing_lib.organizer.destinations import Intent, intent_for
from testing_lib.organizer.import_rewrites import import_changes, shadowed_imports
from testing_lib.organizer.models import OrganizationPlan, PlanConflict
from testing_lib.organizer.package_bounds import bound_pins
from testing_lib.organizer.plan_clashes import resolve_clashes
from testing_lib.organizer.plan_entries import plan_entries
from testing_lib.organizer.plan_slices import slice_intents
from testing_lib.organizer.planned_tree import PlannedTree
from testing_lib.organizer.rewrite import FileChanges

logger = logging.getLogger(__name__)

MAX_ROUNDS = 50


class _Planner:
    """Runs the plan's loop until nothing changes, holding what each round decided."""

    def __init__(
        self, audit: Audit, *, only: Sequence[str] = (), max_moves: int | None = None
    ) -> None:
        self.audit = audit
        self.root = audit.root
        self.test_root = audit.discovered.test_root
        self.tree = PlannedTree(audit)
        self.lifting = ConftestLifting(self.tree)
        self.pinned: dict[str, str] = {}
        self.notes: dict[str, list[str]] = defaultdict(list)
        self.conflicts: list[PlanConflict] = []
        python_files = audit.settings.python_files
        self.intents = slice_intents(
            {f.path: intent_for(f, self.test_root, python_files) for f in audit.report.files},
            only=only,
            max_moves=max_moves,
        )

    def placement(self) -> dict[str, str]:
        placed = {}
        for path, intent in self.intents.items():
            if path in self.pinned:
                placed[path] = path
            elif path in self.lifting.lifts:
                placed[path] = self.lifting.lifts[path]
            else:
                placed[path] = intent.destination
        return placed

    def _pin(self, pins: list[tuple[str, str]]) -> bool:
        """Keep these files where they are (with the reason); True when any is new."""
        pinned_any = False
        for path, reason in pins:
            if path not in self.pinned:
                self.pinned[path] = f"stays: {reason}"
                pinned_any = True
        return pinned_any

    def run(self) -> OrganizationPlan:
        placement: dict[str, str] = {}
        file_changes: dict[str, FileChanges] = {}
        for _ in range(MAX_ROUNDS):
            placement, self.conflicts = resolve_clashes(self.tree, self.placement(), self.pinned)
            if self._pin(bound_pins(self.audit.inits, self.audit.index, placement)):
                continue
            _, inits = self.tree.new_packages(placement)
            index = self.tree.index_for(placement, inits)
            if self.lifting.check(
                placement, index, intents=self.intents, pinned=self.pinned, notes=self.notes
            ):
                continue
            file_changes, impossible = import_changes(self.tree, placement, index)
            shadowed = shadowed_imports(self.tree, placement, index)
            pinned_any = False
            for path, reason, _importer in impossible:
                if path not in self.pinned and placement.get(path, path) != path:
                    self.pinned[path] = f"stays: {reason}"
                    pinned_any = True
            for path, reason in shadowed:
                if path not in self.pinned:
                    self.pinned[path] = f"stays: {reason}"
                    pinned_any = True
            if impossible and not pinned_any:
                for _moved, reason, importer in impossible:
                    if importer not in self.pinned and placement.get(importer) != importer:
                        self.pinned[importer] = f"stays: {reason}"
                        pinned_any = True
            if pinned_any:
                continue
            entries, failed = plan_entries(
                self.tree,
                placement,
                file_changes,
                intents=self.intents,
                pinned=self.pinned,
                notes=self.notes,
            )
            if failed:
                for path, reason in failed.items():
                    self.pinned[path] = f"stays: {reason}"
                continue
            created, inits = self.tree.new_packages(placement)
            return OrganizationPlan(
                root=str(self.root),
                test_root=self.test_root,
                entries=entries,
                conflicts=self.conflicts,
                create_dirs=created,
                create_files=inits,
                extra_collect=sorted(
                    p
                    for p, d in placement.items()
                    if p != d
                    and self.audit.kinds.get(p) == "test"
                    and p not in self.audit.discovered.in_scope
                ),
            )
        raise RuntimeError(
            f"the organization plan did not settle after {MAX_ROUNDS} rounds; please report "
            "this with the audit JSON"
        )


def create_plan(
    audit: Audit, *, only: Sequence[str] = (), max_moves: int | None = None
) -> OrganizationPlan:
    """The organization plan for an audited root (nothing is touched).

    `only` (folders or files, relative to the root) and `max_moves` plan one slice: the
    other files keep their place this time (see `plan_slices`).
    """
    plan = _Planner(audit, only=only, max_moves=max_moves).run()
    logger.info(
        "Plan for %s: %d moves, %d rewrites, %d conflicts resolved",
        audit.root,
        len(plan.moves),
        sum(1 for e in plan.entries if e.rewrites),
        len(plan.conflicts),
    )
    return plan


def plan_from_mapping(audit: Audit, mapping: dict[str, str]) -> OrganizationPlan:
    """A plan that moves exactly `mapping` (source -> destination, relative to the root).

    Behind `execute_reorganization` given a mapping: imports are rewritten as in
    a derived plan, but nothing is checked for fixtures or clashes here: the collection
    check in `execute` is what stands between such a plan and a lost test.
    Raises ValueError naming the entry when a source is not an audited file or a
    destination exists.
    """
    root = audit.root
    infos = {f.path: f for f in audit.report.files}
    placement = {p: p for p in infos}
    for source, destination in mapping.items():
        source = source.replace(os.sep, "/")
        destination = destination.replace(os.sep, "/")
        if source not in infos:
            raise ValueError(f"plan source {source!r} is not an audited file under {root}")
        if Path(destination).is_absolute() or ".." in PurePosixPath(destination).parts:
            raise ValueError(f"plan destination {destination!r} must be relative to {root}")
        if (root / destination).exists():
            raise ValueError(
                f"plan destination {destination!r} exists: the organizer never overwrites a file"
            )
        placement[source] = destination
    tree = PlannedTree(audit)
    _, inits = tree.new_packages(placement)
    index = tree.index_for(placement, inits)
    file_changes, _ = import_changes(tree, placement, index, fix_relative=False)
    intents = {
        path: Intent(mapping[path], "move", "given by the caller's plan")
        if path in mapping
        else Intent(path, "keep", "not in the caller's plan")
        for path in infos
    }
    entries, _ = plan_entries(tree, placement, file_changes, intents=intents, pinned={}, notes={})
    created, inits = tree.new_packages(placement)
    return OrganizationPlan(
        root=str(root),
        test_root=audit.discovered.test_root,
        entries=entries,
        create_dirs=created,
        create_files=inits,
        extra_collect=sorted(
            p
            for p in mapping
            if audit.kinds.get(p) == "test" and p not in audit.discovered.in_scope
        ),
    )
