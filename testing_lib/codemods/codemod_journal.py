"""Apply a codemod plan without ever losing a file, and undo it.

`apply_plan` first writes a backup of every file it will touch and a journal listing them
under TARGET/.remediation/codemods/<run-id>/, then replaces each file atomically (new
content to a temporary file in the same folder, fsync, `os.replace`, fsync of the folder),
marking it in the journal after, so a crash leaves every file either old or new, never
half-written, with its original in the backup. A file that changed since it was planned is
left alone and reported.

A plan may also create files (`FilePlan.created`): these need no backup. Each is written to
a temporary file and linked into place, which never replaces anything: a file that exists
by then, or whose folder is missing, is left alone and reported like a changed one.

A write that fails (a full disk, an I/O error, a permission refused) puts back every file
the run had written, by renaming its backup over it (no free space needed), removes the
files it created (when they hold what it wrote), removes the run's folder and raises
`WriteFailed` with the one line to print (see `testing_lib.target_writes`, shared with the
organizer's journal). When that rollback cannot finish, the journal stays and the line
names `remediate fix undo`.

`undo_run` puts the backups back and removes the files the codemod created, newest change
first, but only where the file still holds exactly what the codemod wrote; a file edited
since is left alone and reported. A run killed before it finished (status still `applying`)
may have written a file without marking it: such a file is restored (or removed) too when
it holds exactly what the run would have written. An undo whose own write fails is taken
back the same way (the files it had restored get the codemod's bytes back, the files it had
removed are there again).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testing_lib.storage import STATE_DIR, new_run_id
from testing_lib.target_writes import (
    RollbackStuck,
    RunFolder,
    WriteCommand,
    create_bytes,
    put_back,
    remove_created,
    remove_temporaries,
    replace_bytes,
    rolled_back_on_failure,
    undo_put_back,
    undo_remove,
    write_new,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # undoing a run does not load libcst
    from testing_lib.codemods.codemod_plan import CodemodPlan, FilePlan

JOURNAL = "journal.json"
KEPT_SUFFIX = ".codemod"  # an undo keeps what the codemod wrote here until it has finished


class JournalError(Exception):
    """A journal is missing or unreadable; the message names the run and the fix."""


def codemods_dir(root: Path) -> Path:
    return root / STATE_DIR / "codemods"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(path: Path) -> str | None:
    return _sha(path.read_bytes()) if path.is_file() else None


def _created_state(path: Path) -> str | None:
    """The digest of the file at `path`, where a run creates one: None when nothing is
    there, "" when something other than a plain file is (a folder, a symbolic link)."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        return ""
    return _digest(path)


def _save(journal_path: Path, journal: dict[str, Any]) -> None:
    replace_bytes(journal_path, (json.dumps(journal, indent=2) + "\n").encode("utf-8"))


def _recorded(journal_path: Path) -> Any:
    """The journal on disk (None when it cannot be read)."""
    try:
        return json.loads(journal_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _undo_command(root: Path, run_id: str) -> str:
    return f"remediate fix undo {root} {run_id}"


@dataclass
class ApplyReport:
    run_id: str
    journal: Path
    applied: list[str] = field(default_factory=list)  # rewritten or created
    # changed since planning, or (to be created) there already or without a folder: left alone
    conflicts: list[str] = field(default_factory=list)


@dataclass
class UndoReport:
    run_id: str
    restored: list[str] = field(default_factory=list)  # original back, or created file removed
    already: list[str] = field(default_factory=list)  # already original (a created one: absent)
    conflicts: list[str] = field(default_factory=list)  # edited since: left alone


def apply_plan(plan: CodemodPlan, *, codemod: str, run_id: str | None = None) -> ApplyReport:
    """Write every planned change, journaled and backed up first.

    Raises `WriteFailed` when a write fails: the files are as before (or, if the rollback
    could not finish, the line names the undo that finishes it).
    """
    run_id = run_id or new_run_id()
    run = RunFolder(codemods_dir(plan.root) / run_id)
    journal_path = run.path / JOURNAL
    journal: dict[str, Any] = {
        "run_id": run_id,
        "codemod": codemod,
        "root": str(plan.root),
        "created_at": datetime.now(UTC).isoformat(),
        "status": "applying",
        "files": [],
    }
    report = ApplyReport(run_id=run_id, journal=journal_path)
    command = WriteCommand(
        f"the {codemod} codemod on {plan.root}", plan.root, _undo_command(plan.root, run_id)
    )

    created: set[str] = set()  # the files this run set out to create (none was there)

    def roll_back() -> None:
        _roll_back(journal, run.path, created)
        run.discard(JOURNAL)

    changes = plan.changes
    with rolled_back_on_failure(command, roll_back):
        run.create("backups")
        for index, change in enumerate(changes):
            backup = None
            if not change.created:  # a created file has nothing to back up
                backup = run.path / "backups" / f"{index:04d}-{change.path.name}"
                write_new(backup, change.before)
            journal["files"].append(
                {
                    "path": change.relative,
                    "absolute": str(change.path),
                    "created": change.created,
                    "backup": None if backup is None else str(backup.relative_to(run.path)),
                    "sha256_before": None if change.created else _sha(change.before),
                    "sha256_after": _sha(change.after),
                    "applied": False,
                }
            )
        _save(journal_path, journal)  # backups and journal exist before any file is touched
        for entry, change in zip(journal["files"], changes, strict=True):
            refused = _create(change, created) if change.created else _rewrite(change)
            if refused is not None:
                report.conflicts.append(change.relative)
                entry["skipped"] = refused
                continue
            entry["applied"] = True
            report.applied.append(change.relative)
            _save(journal_path, journal)
        journal["status"] = "applied"
        _save(journal_path, journal)
    return report


def _rewrite(change: FilePlan) -> str | None:
    """Replace the file; why it was refused (None when written)."""
    current = change.path.read_bytes() if change.path.exists() else None
    if current != change.before:
        return "changed since it was planned"
    replace_bytes(change.path, change.after)
    return None


def _create(change: FilePlan, created: set[str]) -> str | None:
    """Create the file, never over one; why it was refused (None when written). Its path
    joins `created` once nothing stands in the way, before the first byte is written."""
    if not change.path.parent.is_dir():
        return "its folder is missing"
    created.add(str(change.path))
    try:
        create_bytes(change.path, change.after)
    except FileExistsError:
        created.discard(str(change.path))
        return "exists already"
    return None


def _roll_back(journal: dict[str, Any], run_dir: Path, created: Collection[str]) -> None:
    """Put back every file this run wrote (marked or not), newest first, by renaming its
    backup over it, and remove the files it created; raises `RollbackStuck` naming files
    changed since the run wrote them."""
    changed = []
    for entry in reversed(journal["files"]):
        if entry.get("skipped"):
            continue
        path = Path(entry["absolute"])
        if entry.get("created"):
            if entry["absolute"] not in created:
                continue  # not reached: a file there now is someone else's
            state = _created_state(path)
            if state == entry["sha256_after"]:
                remove_created(path)
                entry["applied"] = False
            elif state is not None:
                changed.append(entry["path"])
            continue
        digest = _digest(path)
        if digest == entry["sha256_after"]:
            put_back(path, run_dir / entry["backup"])
            entry["applied"] = False
        elif entry.get("applied") and digest != entry["sha256_before"]:
            changed.append(entry["path"])
    _sweep(journal)
    if changed:
        raise RollbackStuck("changed while it ran: " + ", ".join(changed))


def _sweep(journal: dict[str, Any]) -> None:
    """Remove the temporary files failed rewrites left beside the files."""
    for entry in journal["files"]:
        remove_temporaries(Path(entry["absolute"]))


def load_journal(root: Path, run_id: str | None = None) -> tuple[Path, dict[str, Any]]:
    """The journal of `run_id`, or of the latest run when None."""
    base = codemods_dir(root)
    if run_id is None:
        runs = sorted(p.name for p in base.glob("*") if (p / JOURNAL).is_file())
        if not runs:
            raise JournalError(f"no codemod has been applied in {root} (nothing under {base})")
        run_id = runs[-1]
    path = base / run_id / JOURNAL
    if not path.is_file():
        known = ", ".join(sorted(p.name for p in base.glob("*"))) or "none"
        raise JournalError(f"no codemod run {run_id!r} in {base} (runs: {known})")
    try:
        return path, dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, OSError) as exc:
        raise JournalError(f"journal {path} is unreadable: {exc}") from exc


# An undo step: `done` gets how to take the step back (and where the codemod's bytes are
# kept meanwhile) before it starts, so that a failure part-way is taken back too. It
# returns the report's list the file goes to, or None when the run never wrote it.
TakeBack = list[tuple[Callable[[], None], Path]]


def _undo_rewrite(
    entry: dict[str, Any], run_dir: Path, index: int, *, unfinished: bool, done: TakeBack
) -> str | None:
    """Put the backup back over a file that holds exactly what the codemod wrote."""
    path = Path(entry["absolute"])
    digest = _digest(path)
    if not entry.get("applied") and not (unfinished and digest == entry["sha256_after"]):
        return None
    if digest is not None and digest == entry["sha256_before"]:
        return "already"
    if digest is None or digest != entry["sha256_after"]:
        return "conflicts"
    backup = run_dir / entry["backup"]
    kept = backup.with_name(backup.name + KEPT_SUFFIX)
    done.append((functools.partial(undo_put_back, path, backup, kept), kept))
    put_back(path, backup, keep=kept)
    return "restored"


def _undo_created(
    entry: dict[str, Any], run_dir: Path, index: int, *, unfinished: bool, done: TakeBack
) -> str | None:
    """Remove a created file that holds exactly what the codemod wrote."""
    path = Path(entry["absolute"])
    state = _created_state(path)
    if not entry.get("applied") and not (unfinished and state == entry["sha256_after"]):
        return None
    if state is None:
        return "already"
    if state != entry["sha256_after"]:
        return "conflicts"
    kept = run_dir / "backups" / f"{index:04d}-{path.name}{KEPT_SUFFIX}"
    done.append((functools.partial(undo_remove, path, kept), kept))
    remove_created(path, keep=kept)
    return "restored"


def undo_run(root: Path, run_id: str | None = None) -> UndoReport:
    """Restore the files a codemod run changed and remove those it created (latest run when
    `run_id` is None).

    Raises `WriteFailed` when a write fails: the files it had restored hold the codemod's
    bytes again, those it had removed are back, and the journal is unchanged (or the line
    names the undo to run again).
    """
    journal_path, journal = load_journal(root, run_id)
    report = UndoReport(run_id=str(journal["run_id"]))
    run_dir = journal_path.parent
    unfinished = journal.get("status") == "applying"
    command = WriteCommand(
        f"the undo of codemod run {report.run_id} in {root}",
        root,
        _undo_command(root, report.run_id),
    )
    restored: TakeBack = []
    loaded = copy.deepcopy(journal)

    def take_back() -> None:
        """The journal as it was, then the codemod's bytes back in the files this undo
        restored or removed (when the journal cannot be put back but already records the
        undo as done, the files stay restored, as it says)."""
        try:
            _save(journal_path, loaded)
        except OSError as exc:
            if _recorded(journal_path) != loaded:
                raise RollbackStuck(
                    f"its journal records the undo as done and cannot be changed ({exc}): "
                    "the files it restored stay restored"
                ) from exc
        while restored:
            restored.pop()[0]()

    with rolled_back_on_failure(command, take_back):
        for index, entry in reversed(list(enumerate(journal["files"]))):
            if entry.get("skipped"):
                continue
            undo = _undo_created if entry.get("created") else _undo_rewrite
            outcome = undo(entry, run_dir, index, unfinished=unfinished, done=restored)
            if outcome is None:
                continue  # never written: nothing to undo
            getattr(report, outcome).append(entry["path"])
            if outcome != "conflicts":
                entry["applied"] = False
        _sweep(journal)
        remove_temporaries(journal_path)
        journal["status"] = "undone" if not report.conflicts else "partly undone"
        journal["undone_at"] = datetime.now(UTC).isoformat()
        _save(journal_path, journal)
    for _, kept in restored:
        try:
            kept.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("Could not remove %s (%s); it is no longer needed", kept, exc)
    return report
