"""`create_plan`: the seed's layout for a suite, derived from its audit, safe to apply.

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
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from testing_lib.organizer.analysis import FileAnalysis, ImportRef
from testing_lib.organizer.audit import Audit
from testing_lib.organizer.models import (
    GENERAL,
    ImportRewrite,
    OrganizationPlan,
    PlanAction,
    PlanConflict,
    PlanEntry,
    TestFileInfo,
)
from testing_lib.organizer.modules import Edge, ModuleIndex, is_under, join, parent
from testing_lib.organizer.pytest_settings import matches_python_files
from testing_lib.organizer.rewrite import FileChanges, ModuleRef, RewriteError, rewrite_source
from testing_lib.organizer.scopes import EXTERNAL, MODULE, Resolution

logger = logging.getLogger(__name__)

LAYOUT_FOLDERS = ("unit", "integration", "performance", "fixtures", "utils", "quarantine")
QUARANTINE = "quarantine"
SCRIPTS = "scripts"
MAX_ROUNDS = 50


@dataclass
class _Intent:
    destination: str
    action: PlanAction
    reason: str


def _strip_test_affix(name: str) -> str:
    stem = name.removesuffix(".py")
    if stem.startswith("test_") and len(stem) > 5:
        stem = stem[5:]
    elif stem.endswith("_test") and len(stem) > 5:
        stem = stem[:-5]
    return stem + ".py"


def _summary(info: TestFileInfo) -> str:
    relevant = [e for e in info.evidence if e.supports == info.category][:3]
    area = [e for e in info.evidence if e.supports == f"functionality:{info.functionality}"][:2]
    parts = list(dict.fromkeys(e.detail for e in relevant + area))
    return "; ".join(parts) if parts else "no evidence of real I/O or timing"


class _Planner:
    def __init__(self, audit: Audit) -> None:
        self.audit = audit
        self.root = audit.root
        self.test_root = audit.discovered.test_root
        self.settings = audit.settings
        self.infos = {f.path: f for f in audit.report.files}
        self.analyses = audit.analyses
        self.pinned: dict[str, str] = {}
        self.lifts: dict[str, str] = {}
        self.lift_refused: dict[str, str] = {}
        self.notes: dict[str, list[str]] = defaultdict(list)
        self.conflicts: list[PlanConflict] = []
        self.root_importable = (
            "" in self.settings.pythonpath
            or "conftest.py" in audit.index.files
            or any(e.style == "root" for edges in audit.edges.values() for e in edges)
        )
        self.intents = {path: self._intent(info) for path, info in self.infos.items()}

    # -- where each file wants to go ---------------------------------------------------------

    def _well_placed(self, info: TestFileInfo) -> bool:
        if not is_under(info.path, self.test_root) or not self.test_root:
            return False
        parts = info.path[len(self.test_root) + 1 :].split("/")
        if parts[0] != info.category:
            return False
        return info.category == "performance" or len(parts) >= 3 or info.functionality == GENERAL

    def _in_layout(self, path: str) -> bool:
        return any(is_under(path, join(self.test_root, f)) for f in LAYOUT_FOLDERS)

    def _intent(self, info: TestFileInfo) -> _Intent:
        path = info.path
        name = path.rpartition("/")[2]
        keep = _Intent(path, "keep", "")
        if info.syntax_error:
            keep.reason = f"cannot be parsed ({info.syntax_error}): fix it, then organize again"
            return keep
        if info.kind == "conftest":
            keep.reason = "conftest.py stays with the folder it configures"
            return keep
        if info.kind == "script":
            return _Intent(
                join(SCRIPTS, _strip_test_affix(name)),
                "move",
                "a script, not a test (" + "; ".join(e.detail for e in info.evidence[:2]) + ")",
            )
        if info.kind == "helper":
            if info.tests:
                keep.reason = (
                    "holds tests no pytest run collects (its name does not match "
                    "python_files): rename it by hand once its tests pass"
                )
                return keep
            if self._in_layout(path):
                keep.reason = "a helper already in the layout"
                return keep
            test_named = matches_python_files(path, self.settings.python_files)
            why = (
                "named like a test but holds no tests (pytest imports it as one)"
                if test_named
                else "a helper module beside the tests"
            )
            return _Intent(
                join(self.test_root, "fixtures", _strip_test_affix(name) if test_named else name),
                "move",
                f"{why}: shared test code lives in {join(self.test_root, 'fixtures')}/",
            )
        # a test module
        if info.is_duplicate and info.duplicate_of:
            if is_under(path, join(self.test_root, QUARANTINE)):
                keep.reason = f"already quarantined (copy of {info.duplicate_of})"
                return keep
            return _Intent(
                join(self.test_root, QUARANTINE, name),
                "quarantine",
                f"every test is an exact copy of one in {info.duplicate_of}: quarantined "
                "(still collected) for a person to delete, never deleted by the organizer",
            )
        if self._well_placed(info):
            keep.reason = f"already in {path.rpartition('/')[0]}/ ({info.category})"
            return keep
        area = (
            ""
            if info.category == "performance" or info.functionality == GENERAL
            else (info.functionality)
        )
        destination = join(self.test_root, info.category, area, name)
        return _Intent(
            destination,
            "move",
            f"{info.category} test, {info.functionality} ({_summary(info)})",
        )

    def placement(self) -> dict[str, str]:
        placed = {}
        for path, intent in self.intents.items():
            if path in self.pinned:
                placed[path] = path
            elif path in self.lifts:
                placed[path] = self.lifts[path]
            else:
                placed[path] = intent.destination
        return placed

    # -- clashes -----------------------------------------------------------------------------

    def _is_test_module(self, path: str, destination: str) -> bool:
        return self.audit.kinds.get(path) == "test" and matches_python_files(
            destination, self.settings.python_files
        )

    def _new_packages(self, placement: dict[str, str]) -> tuple[list[str], list[str]]:
        """Folders to create, and the `__init__.py` files new folders inside packages get."""
        existing_dirs = self.audit.index.dirs
        created: set[str] = set()
        for source, destination in placement.items():
            if source == destination:
                continue
            folder = parent(destination)
            while folder and folder not in existing_dirs and not (self.root / folder).exists():
                created.add(folder)
                folder = parent(folder)
        packages = set(self.audit.index.packages)
        inits = []
        for folder in sorted(created, key=lambda f: f.count("/")):
            if parent(folder) in packages:
                packages.add(folder)
                inits.append(join(folder, "__init__.py"))
        return sorted(created), inits

    def _index_for(self, placement: dict[str, str], inits: list[str]) -> ModuleIndex:
        files = {placement.get(p, p) for p in self.audit.index.files}
        files.update(inits)
        return ModuleIndex(
            files, pythonpath=self.settings.pythonpath, root_on_path=self.root_importable
        )

    def _candidates(self, path: str, wanted: str) -> list[str]:
        folder, _, name = wanted.rpartition("/")
        stem = name.removesuffix(".py")
        area = folder.rpartition("/")[2]
        options = [wanted]
        if self.audit.kinds.get(path) == "test" and area and area not in stem:
            if stem.startswith("test_"):
                options.append(join(folder, f"test_{area}_{stem[5:]}.py"))
            elif stem.endswith("_test"):
                options.append(join(folder, f"{stem[:-5]}_{area}_test.py"))
        for number in range(2, 100):
            if stem.endswith("_test"):
                options.append(join(folder, f"{stem[:-5]}_{number}_test.py"))
            else:
                options.append(join(folder, f"{stem}_{number}.py"))
        return options

    def _resolve_clashes(self, placement: dict[str, str]) -> dict[str, str]:
        _, inits = self._new_packages(placement)
        index = self._index_for(placement, inits)
        staying = sorted(p for p, d in placement.items() if p == d)
        moving = sorted(p for p, d in placement.items() if p != d)
        static = {p for p in self.audit.index.files if p not in placement}
        taken_paths: set[str] = set(static) | set(inits)
        taken_names: dict[str, str] = {}
        resolved: dict[str, str] = {}
        for path in [*staying, *moving]:
            wanted = placement[path]
            chosen = None
            for candidate in self._candidates(path, wanted):
                if candidate in taken_paths:
                    continue
                if candidate != path and (self.root / candidate).exists():
                    continue  # never overwrite anything on disk
                if self._is_test_module(path, candidate):
                    name = index.module_name(candidate)
                    if name in taken_names:
                        continue
                chosen = candidate
                break
            if chosen is None:
                chosen = path
                self.pinned.setdefault(path, f"no free name for {wanted}")
            resolved[path] = chosen
            taken_paths.add(chosen)
            if self._is_test_module(path, chosen):
                taken_names[index.module_name(chosen)] = chosen
            if chosen != wanted:
                self.conflicts.append(self._conflict(path, wanted, chosen, resolved, index))
        return resolved

    def _conflict(
        self, path: str, wanted: str, chosen: str, resolved: dict[str, str], index: ModuleIndex
    ) -> PlanConflict:
        holder = next((p for p, d in resolved.items() if d == wanted and p != path), None)
        module = index.module_name(wanted)
        if holder is None:
            holder = next(
                (
                    p
                    for p, d in resolved.items()
                    if p != path and self._is_test_module(p, d) and index.module_name(d) == module
                ),
                None,
            )
        if holder is not None:
            why = f"{wanted} is taken by {holder} (same path or module name '{module}')"
        else:
            why = f"{wanted} exists"
        return PlanConflict(
            destination=wanted,
            sources=sorted({path, *([holder] if holder else [])}),
            resolution=f"{path} becomes {chosen}: {why}; the organizer never overwrites",
        )

    # -- fixtures ----------------------------------------------------------------------------

    def _chain(self, index: ModuleIndex, location: str, back: dict[str, str]) -> list[str]:
        """Conftests above `location` in a planned tree, as their current paths."""
        return [back.get(c, c) for c in index.ancestor_conftests(location)]

    def _closure(self, path: str, chain: list[str]) -> dict[str, Resolution]:
        analysis = self.analyses[path]
        names: list[str] = []
        for test in analysis.tests:
            names += test.fixtures
        return self.audit.scopes.closure(analysis, chain, names)

    def _check_fixtures(self, placement: dict[str, str], index: ModuleIndex) -> bool:
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
                self.notes[path].append(
                    "gains autouse fixture(s) " + ", ".join(gained) + " at its destination"
                )
            if not lost:
                continue
            owners = sorted({r.owner for r in lost.values() if r.owner not in (MODULE, EXTERNAL)})
            lifted_any = False
            for owner in owners:
                if owner in self.lifts:
                    continue
                if self._try_lift(owner, placement, index):
                    lifted_any = True
            if lifted_any:
                changed = True
                continue
            names = ", ".join(sorted(k.split("@")[0] for k in lost))
            why = "; ".join(self.lift_refused.get(o, "") for o in owners if o in self.lift_refused)
            self.pinned[path] = (
                f"stays: at {destination} it would lose fixture(s) {names} from "
                f"{', '.join(owners) or 'a conftest'}" + (f" ({why})" if why else "")
            )
            changed = True
        return changed

    def _try_lift(self, conftest: str, placement: dict[str, str], index: ModuleIndex) -> bool:
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
        if new_path in index.files or (self.root / new_path).exists():
            self.lift_refused[conftest] = (
                f"{new_path} already exists; merging conftest files is left to a person"
            )
            return False
        # Would any other test under the new folder see a different fixture?
        trial = dict(placement)
        trial[conftest] = new_path
        _, inits = self._new_packages(trial)
        trial_index = self._index_for(trial, inits)
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
        self.intents[conftest] = _Intent(
            new_path,
            "lift_conftest",
            f"lifted so its fixtures still reach {', '.join(sorted(users))} after the move",
        )
        return True

    # -- imports -----------------------------------------------------------------------------

    def _reference(
        self,
        edge: Edge,
        importer: str,
        target: str,
        index: ModuleIndex,
    ) -> ModuleRef | None:
        """How `importer` (new path) can name `target` (new path), or None."""
        if edge.style == "relative" and edge.ref.is_from:
            importer_package = index.package_of(importer)
            if (
                importer_package is not None
                and index.in_package(target)
                and index.basedir(importer) == index.basedir(target)
            ):
                own = importer_package.split(".") if importer_package else []
                wanted = index.module_name(target).split(".")
                common = 0
                while common < min(len(own), len(wanted)) and own[common] == wanted[common]:
                    common += 1
                level = len(own) - common + 1
                return ModuleRef(level, ".".join(wanted[common:]))
        bases = index.search_path(importer)
        candidates = [index.module_name(target)]
        if self.root_importable or edge.style == "root":
            candidates.append(
                target.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            )
        for base, _ in bases:
            if is_under(target, base):
                relative = target[len(base) + 1 :] if base else target
                candidates.append(
                    relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
                )
        for candidate in candidates:
            found = index.find(candidate, bases)
            if found is not None and found.path == target:
                return ModuleRef(0, candidate)
        return None

    def _changes(
        self, placement: dict[str, str], index: ModuleIndex, *, fix_relative: bool = True
    ) -> tuple[dict[str, FileChanges], list[tuple[str, str, str]]]:
        """Import changes per file, and (file to pin, reason, importer) for impossible ones."""
        changes: dict[str, FileChanges] = defaultdict(FileChanges)
        impossible: list[tuple[str, str, str]] = []
        for importer, edges in self.audit.edges.items():
            new_importer = placement.get(importer, importer)
            for edge in edges:
                new_target = placement.get(edge.target, edge.target)
                broken_relative = (
                    fix_relative
                    and edge.ref.level > 0
                    and self.audit.index.package_of(importer) is None
                )
                if new_importer == importer and new_target == edge.target and not broken_relative:
                    continue
                reference = self._reference(edge, new_importer, new_target, index)
                if reference is None or (not edge.ref.is_from and reference.level):
                    moved = edge.target if new_target != edge.target else importer
                    impossible.append(
                        (
                            moved,
                            f"{importer} (line {edge.ref.line}) could not import it from "
                            f"{new_importer} any more",
                            importer,
                        )
                    )
                    continue
                key = (edge.ref.line, edge.ref.level, edge.ref.module, edge.name)
                old_full = _written(edge)
                if reference.text() != old_full:
                    changes[importer].imports[key] = reference
        return changes, impossible

    def _shadowed(self, placement: dict[str, str], index: ModuleIndex) -> list[tuple[str, str]]:
        """Moved files that would capture an import meant for something else."""
        found = []
        moved_targets = {d: s for s, d in placement.items() if s != d}
        for importer, analysis in self.analyses.items():
            new_importer = placement.get(importer, importer)
            for ref in analysis.imports:
                if ref.level:
                    continue
                names = (
                    [ref.module]
                    if not ref.is_from
                    else [ref.module] + [f"{ref.module}.{n}" for n in ref.names if n != "*"]
                )
                for name in names:
                    if not name:
                        continue
                    after = index.find(name, index.search_path(new_importer))
                    if after is None or after.path is None or after.path not in moved_targets:
                        continue
                    source = moved_targets[after.path]
                    before = self.audit.index.find(name, self.audit.index.search_path(importer))
                    if before is None or before.path != source:
                        found.append(
                            (source, f"at {after.path} it would capture '{name}' in {importer}")
                        )
        return found

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> OrganizationPlan:
        placement: dict[str, str] = {}
        file_changes: dict[str, FileChanges] = {}
        for _ in range(MAX_ROUNDS):
            self.conflicts = []
            placement = self._resolve_clashes(self.placement())
            _, inits = self._new_packages(placement)
            index = self._index_for(placement, inits)
            if self._check_fixtures(placement, index):
                continue
            file_changes, impossible = self._changes(placement, index)
            shadowed = self._shadowed(placement, index)
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
            entries, failed = self._entries(placement, file_changes)
            if failed:
                for path, reason in failed.items():
                    self.pinned[path] = f"stays: {reason}"
                continue
            created, inits = self._new_packages(placement)
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

    def _string_map(self, placement: dict[str, str]) -> dict[str, str]:
        strings: dict[str, str] = {}
        old_index = self.audit.index
        for source, destination in placement.items():
            if source == destination or not source.endswith(".py"):
                continue
            old = source.removesuffix(".py").replace("/", ".")
            new = destination.removesuffix(".py").replace("/", ".")
            if "." in old:
                strings[old] = new
            pytest_name = old_index.module_name(source)
            if "." in pytest_name and pytest_name != old:
                base = old_index.basedir(source)
                strings[pytest_name] = (
                    (destination[len(base) + 1 :] if base else destination)
                    .removesuffix(".py")
                    .replace("/", ".")
                )
        return strings

    def _entries(
        self, placement: dict[str, str], file_changes: dict[str, FileChanges]
    ) -> tuple[list[PlanEntry], dict[str, str]]:
        strings = self._string_map(placement)
        entries = []
        failed: dict[str, str] = {}
        for path in sorted(placement):
            info = self.infos[path]
            analysis = self.analyses[path]
            changes = file_changes.get(path) or FileChanges()
            if strings and _mentions(analysis, strings):
                changes.strings = strings
            rewrites: list[ImportRewrite] = []
            if changes:
                try:
                    _, rewrites = rewrite_source((self.root / path).read_bytes(), changes)
                except RewriteError as exc:
                    failed[path] = f"its imports cannot be rewritten ({exc})"
                    continue
            destination = placement[path]
            intent = self.intents[path]
            if path in self.pinned:
                action: PlanAction = "rewrite" if rewrites else "keep"
                reason = self.pinned[path]
            elif destination == path:
                action = "rewrite" if rewrites else "keep"
                reason = intent.reason or "already in place"
                if rewrites and not intent.reason:
                    reason = "stays; its imports follow the modules that move"
            else:
                action = intent.action if intent.action != "keep" else "move"
                reason = intent.reason or "renamed to resolve a clash"
                if destination != intent.destination:
                    reason += f" (renamed: {intent.destination} was taken)"
            if any(r.before.startswith("from .") for r in rewrites) and (
                self.audit.index.package_of(path) is None
            ):
                reason += "; fixes a relative import outside a package"
            if self.notes.get(path):
                reason += "; " + "; ".join(self.notes[path])
            entries.append(
                PlanEntry(
                    source=path,
                    destination=destination,
                    action=action,
                    reason=reason,
                    sha256=info.sha256,
                    rewrites=rewrites,
                    import_changes=changes.to_models() if rewrites else [],
                    string_changes=dict(changes.strings) if rewrites else {},
                )
            )
        return entries, failed


def _written(edge: Edge) -> str:
    ref: ImportRef = edge.ref
    module = ref.module
    if edge.name is not None:
        module = f"{module}.{edge.name}" if module else edge.name
    return "." * ref.level + module


def _mentions(analysis: FileAnalysis, strings: dict[str, str]) -> bool:
    for _, value in analysis.strings:
        for old in strings:
            if value == old or value.startswith(old + "."):
                return True
    return False


def _common_folder(a: str, b: str) -> str:
    parts_a = PurePosixPath(a).parts if a else ()
    parts_b = PurePosixPath(b).parts if b else ()
    common = []
    for x, y in zip(parts_a, parts_b, strict=False):
        if x != y:
            break
        common.append(x)
    return "/".join(common)


def create_plan(audit: Audit) -> OrganizationPlan:
    """The organization plan for an audited root (nothing is touched)."""
    plan = _Planner(audit).run()
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

    The seed's `execute_reorganization(plan: Dict[str, str])`: imports are rewritten as in
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
    planner = _Planner(audit)
    planner.pinned = {}
    _, inits = planner._new_packages(placement)
    index = planner._index_for(placement, inits)
    file_changes, _ = planner._changes(placement, index, fix_relative=False)
    for source in mapping:
        planner.intents[source] = _Intent(mapping[source], "move", "given by the caller's plan")
    for path in infos:
        if path not in mapping:
            planner.intents[path] = _Intent(path, "keep", "not in the caller's plan")
    entries, _ = planner._entries(placement, file_changes)
    created, inits = planner._new_packages(placement)
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
