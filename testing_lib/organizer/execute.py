"""Carry out an organization plan, prove nothing was lost, and undo it on demand.

`execute_plan(plan, apply=False)` is a dry run: it checks the plan against the disk and
changes nothing. With `apply=True`:

1. every source must still have the content the plan was made from, and no destination
   may exist (the organizer never overwrites);
2. `pytest --collect-only` runs with the target's interpreter (the *before* picture);
3. folders are created, imports rewritten, files moved (`git mv` for tracked files), each
   step journaled first;
4. `pytest --collect-only` runs again. Test ids are compared path-independently (module
   name plus the rest of the node id, with the plan's renames applied): if one is missing,
   or collection errors grow or appear in a module that had none, or a test requests a
   fixture that no longer resolves (pytest would error at its setup), everything is undone
   at once and the result names the lost tests, broken tests and new errors
   (`rolled_back`).

Each step's journal is durable before the step runs, and the journal's status says when the
whole apply finished (verified, or rolled back). An apply killed anywhere (SIGKILL, power
loss) leaves an unfinished journal: a new apply refuses to start until `undo` has
restored the tree from it.

A write that fails (a full disk, an I/O error, a permission refused, a file that changed
under it) rolls back what the apply did, removes its journal folder, and raises
`WriteFailed` with the one line to print (see `testing_lib.target_writes`); when the
rollback cannot finish either, the journal stays unfinished and the line names the undo.

`undo(root)` (in `rollback`) reverses the latest applied (or unfinished) journal and
verifies every file byte for byte; an undo whose own write fails is taken back the same way.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from testing_lib.exceptions import RunnerError
from testing_lib.organizer.git_tracking import git_tracked
from testing_lib.organizer.journal import (
    JOURNAL_FILE,
    Journal,
    JournalOp,
    move,
    save,
    sha256_of,
    start_journal,
    unfinished_apply_message,
    unfinished_journal,
)
from testing_lib.organizer.models import ExecutionResult, OrganizationPlan
from testing_lib.organizer.organizer_errors import OrganizerError
from testing_lib.organizer.rewrite import FileChanges, rewrite_source
from testing_lib.organizer.rollback import (
    close_rolled_back,
    roll_back,
    roll_back_or_log,
)
from testing_lib.results import CollectionError
from testing_lib.runner.collect import Collection, collect_only
from testing_lib.target_writes import (
    RollbackStuck,
    WriteCommand,
    WriteFailed,
    replace_bytes,
    rolled_back_on_failure,
    write_new,
)

logger = logging.getLogger(__name__)

COLLECT_TIMEOUT_S = 600.0


def _canonical(path: str, rest: str, renames: dict[str, str]) -> str:
    """`module::rest` for a node id, after the plan's moves (the path-independent test id)."""
    new_path = renames.get(path, path)
    return f"{PurePosixPath(new_path).stem}::{rest}"


def _split(collection: Collection, root: Path, nodeid: str) -> tuple[str, str]:
    relative = collection.relative_to(root, nodeid)
    path, _, rest = relative.partition("::")
    return path, rest


@dataclass(frozen=True)
class Comparison:
    lost: list[str]  # original node ids no longer collected
    new_errors: list[CollectionError]
    broken: list[str]  # node ids (after) whose fixtures no longer resolve

    @property
    def ok(self) -> bool:
        return not (self.lost or self.new_errors or self.broken)


def compare(
    before: Collection, after: Collection, root: Path, renames: dict[str, str]
) -> Comparison:
    """What a change did to collection, test ids compared after `renames`."""
    expected: Counter[str] = Counter()
    original: dict[str, str] = {}
    missing_before: dict[str, set[str]] = {}
    for nodeid in before.ids:
        path, rest = _split(before, root, nodeid)
        key = _canonical(path, rest, renames)
        expected[key] += 1
        original.setdefault(key, nodeid)
        missing_before[key] = set(before.missing_fixtures.get(nodeid, ()))
    found: Counter[str] = Counter()
    broken = []
    for nodeid in after.ids:
        path, rest = _split(after, root, nodeid)
        key = _canonical(path, rest, {})
        found[key] += 1
        missing = set(after.missing_fixtures.get(nodeid, ()))
        if missing - missing_before.get(key, set()):
            broken.append(f"{nodeid} (fixture {', '.join(sorted(missing))} not found)")
    lost = sorted(original[key] for key in (expected - found))
    erroring_before = {
        renames.get(p, p) for p in (_split(before, root, e.nodeid)[0] for e in before.errors)
    }
    new_errors = [
        e for e in after.errors if _split(after, root, e.nodeid)[0] not in erroring_before
    ]
    if len(after.errors) > len(before.errors) and not new_errors:
        new_errors = after.errors[len(before.errors) :]
    return Comparison(lost=lost, new_errors=new_errors, broken=sorted(broken))


def _inside(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path


def _check_plan(plan: OrganizationPlan, root: Path) -> None:
    destinations: dict[str, str] = {}
    for entry in plan.entries:
        if not (_inside(entry.source) and _inside(entry.destination)):
            raise OrganizerError(
                f"plan entry {entry.source} -> {entry.destination} leaves {root}: paths must be "
                "relative to the root, with forward slashes and no '..'"
            )
        source = root / entry.source
        if not source.is_file():
            raise OrganizerError(
                f"{entry.source} no longer exists: the plan is stale; run the dry run again"
            )
        if entry.sha256 and sha256_of(source) != entry.sha256:
            raise OrganizerError(
                f"{entry.source} changed since the plan was made: run the dry run again"
            )
        if entry.moves:
            if (root / entry.destination).exists():
                raise OrganizerError(
                    f"{entry.destination} exists: the organizer never overwrites a file; "
                    "run the dry run again to get a free name"
                )
            if entry.destination in destinations:
                raise OrganizerError(
                    f"{entry.source} and {destinations[entry.destination]} both go to "
                    f"{entry.destination}: fix the plan"
                )
            destinations[entry.destination] = entry.source
    for created in plan.create_files:
        if (root / created).exists():
            raise OrganizerError(f"{created} exists: run the dry run again")


def refuse_if_unfinished(root: Path) -> None:
    """Raise OrganizerError when an earlier apply (or undo) of `root` never finished.

    Applying on top of a half-done reorganization would plan from a half-moved tree and
    bury the first apply's journal; undo must restore the tree first.
    """
    folder = unfinished_journal(root)
    if folder is not None:
        logger.warning("Unfinished reorganization journal in %s", folder)
        raise OrganizerError(unfinished_apply_message(root))


def _collect(root: Path, python: str, selection: list[str], when: str) -> Collection:
    try:
        collection = collect_only(
            cwd=root, python=python, selection=selection, timeout_s=COLLECT_TIMEOUT_S
        )
    except RunnerError as exc:
        raise OrganizerError(f"cannot run pytest --collect-only {when}: {exc}") from exc
    return collection


def _apply(plan: OrganizationPlan, root: Path, journal: Journal, folder: Path) -> None:
    """Carry out the plan's operations, journaling each before it happens."""
    tracked = git_tracked(root)
    for entry in plan.entries:
        journal.originals[entry.source] = entry.sha256 or sha256_of(root / entry.source)
    save(journal, folder)
    for directory in plan.create_dirs:
        op = JournalOp(op="mkdir", path=directory)
        journal.ops.append(op)
        save(journal, folder)
        (root / directory).mkdir()
        op.done = True
        save(journal, folder)
    for created in plan.create_files:
        op = JournalOp(op="create", path=created, sha256_after=sha256_of_bytes(b""))
        journal.ops.append(op)
        save(journal, folder)
        with (root / created).open("xb"):
            pass
        op.done = True
        save(journal, folder)
    for number, entry in enumerate(plan.entries):
        if not entry.rewrites:
            continue
        path = root / entry.source
        original = path.read_bytes()
        backup = f"backup/{number:05d}.bak"
        write_new(folder / backup, original)  # on disk before the rewrite is journaled
        rewritten = _rewritten(plan, entry.source, original)
        op = JournalOp(
            op="write",
            path=entry.source,
            sha256_before=sha256_of_bytes(original),
            sha256_after=sha256_of_bytes(rewritten),
            backup=backup,
        )
        journal.ops.append(op)
        save(journal, folder)
        replace_bytes(path, rewritten)
        op.done = True
        save(journal, folder)
    for entry in plan.entries:
        if not entry.moves:
            continue
        via_git = tracked is not None and entry.source in tracked
        op = JournalOp(
            op="move",
            path=entry.source,
            destination=entry.destination,
            via_git=via_git,
            sha256_before=sha256_of(root / entry.source),
        )
        journal.ops.append(op)
        save(journal, folder)
        move(root, entry.source, entry.destination, via_git=via_git)
        op.done = True
        save(journal, folder)
    _remove_emptied(plan, root, journal, folder)


def _remove_emptied(plan: OrganizationPlan, root: Path, journal: Journal, folder: Path) -> None:
    """Remove folders the moves left completely empty, deepest first (journaled)."""
    candidates: set[str] = set()
    for entry in plan.moves:
        current = PurePosixPath(entry.source).parent
        while str(current) not in ("", "."):
            candidates.add(current.as_posix())
            current = current.parent
    for directory in sorted(candidates, key=lambda d: d.count("/"), reverse=True):
        path = root / directory
        if not path.is_dir() or any(path.iterdir()):
            continue
        op = JournalOp(op="rmdir", path=directory)
        journal.ops.append(op)
        save(journal, folder)
        path.rmdir()
        op.done = True
        save(journal, folder)


def sha256_of_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rewritten(plan: OrganizationPlan, source: str, original: bytes) -> bytes:
    for entry in plan.entries:
        if entry.source == source:
            changes = FileChanges.from_models(entry.import_changes, entry.string_changes)
            rewritten, _ = rewrite_source(original, changes)
            return rewritten
    return original


def execute_plan(
    plan: OrganizationPlan,
    *,
    apply: bool = False,
    python: str | None = None,
) -> ExecutionResult:
    """Dry-run (default) or apply `plan`; see the module docstring for the guarantees."""
    root = Path(plan.root)
    if apply:
        refuse_if_unfinished(root)
    _check_plan(plan, root)
    if not apply:
        return ExecutionResult(
            applied=False,
            message=(
                f"dry run: {len(plan.moves)} move(s), "
                f"{sum(1 for e in plan.entries if e.rewrites)} file(s) with rewritten imports; "
                "nothing changed (apply to carry it out)"
            ),
        )
    if not plan.changes_anything:
        return ExecutionResult(applied=False, message="nothing to do: the suite is organized")
    interpreter = python or sys.executable
    before = _collect(root, interpreter, [], "before the change")
    if plan.extra_collect:
        extra = _collect(root, interpreter, list(plan.extra_collect), "before the change")
        before = before.model_copy(
            update={
                "ids": before.ids + [i for i in extra.ids if i not in set(before.ids)],
                "errors": before.errors
                + [e for e in extra.errors if e.nodeid not in {b.nodeid for b in before.errors}],
            }
        )
    if not before.ran:
        raise OrganizerError(
            f"pytest --collect-only did not complete before any change (exit {before.exit_code})"
            f": fix the suite's configuration first. Output: {before.output_tail[-800:]}"
        )
    command = _apply_command(root)
    with rolled_back_on_failure(command, lambda: None):  # a failed first write leaves nothing
        journal, run = start_journal(root)  # durable "in_progress" from here on
    folder = run.path
    renames = plan.mapping()

    def roll_back_whole() -> None:
        """After a failed write: the tree as before, and no journal folder left."""
        wrong = roll_back(journal, folder, root)
        if wrong:
            raise RollbackStuck("these differ from before: " + ", ".join(wrong))
        run.discard(JOURNAL_FILE)

    try:
        with rolled_back_on_failure(command, roll_back_whole):
            _apply(plan, root, journal, folder)
            journal.status = "verifying"
            save(journal, folder)
        after = _collect(root, interpreter, [], "after the change")
    except BaseException as stopped:
        if not isinstance(stopped, WriteFailed):  # interrupted, or pytest could not run
            logger.warning("Reorganization of %s interrupted: undoing what was done", root)
            roll_back_or_log(journal, folder, root)
        raise
    comparison = compare(before, after, root, renames) if after.ran else None
    relative_journal = folder.relative_to(root).as_posix()
    result = ExecutionResult(
        applied=True,
        collected_before=len(before.ids),
        collected_after=len(after.ids),
        errors_before=len(before.errors),
        errors_after=len(after.errors),
        lost_tests=comparison.lost if comparison else [],
        new_errors=comparison.new_errors if comparison else [],
        broken_tests=comparison.broken if comparison else [],
        journal=relative_journal,
    )
    if comparison is not None and comparison.ok:
        result.message = (
            f"applied: {len(before.ids)} -> {len(after.ids)} tests collected, "
            f"{len(before.errors)} -> {len(after.errors)} collection errors; "
            f"undo with the journal {relative_journal}"
        )
        with rolled_back_on_failure(command, roll_back_whole):
            journal.status = "applied"
            journal.finished_at = datetime.now(UTC)
            save(journal, folder)
        return result
    counts = (
        f"{len(before.ids)} -> {len(after.ids)} tests collected, "
        f"{len(before.errors)} -> {len(after.errors)} collection errors"
    )
    logger.warning("Reorganization of %s changed collection (%s): rolling back", root, counts)
    reasons = []
    if not after.ran:
        reasons.append(f"pytest --collect-only failed after the change (exit {after.exit_code})")
    if result.lost_tests:
        reasons.append(
            f"{len(result.lost_tests)} test(s) would be lost: {', '.join(result.lost_tests[:10])}"
        )
    if result.broken_tests:
        reasons.append(
            f"{len(result.broken_tests)} test(s) would lose fixtures: "
            + ", ".join(result.broken_tests[:10])
        )
    if result.new_errors:
        reasons.append(
            f"{len(result.new_errors)} new collection error(s): "
            + ", ".join(e.nodeid for e in result.new_errors[:10])
        )
    try:
        wrong = roll_back(journal, folder, root)
        close_rolled_back(journal, run)
    except (OSError, RollbackStuck) as stuck:
        raise command.unfinished(f"it changed collection ({counts})", stuck) from stuck
    if wrong:
        reasons.append("ROLLBACK INCOMPLETE for " + ", ".join(wrong))
    result.rolled_back = True
    result.message = f"rolled back ({counts}): " + "; ".join(reasons)
    return result


def _apply_command(root: Path) -> WriteCommand:
    return WriteCommand(
        f"the reorganization of {root}", root, finish=f"remediate organize {root} --undo"
    )
