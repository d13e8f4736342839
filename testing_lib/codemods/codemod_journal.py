"""Apply a codemod plan without ever losing a file, and undo it.

`apply_plan` first writes a backup of every file it will touch and a journal listing them
under TARGET/.remediation/codemods/<run-id>/, then replaces each file atomically (new
content to a temporary file in the same folder, fsync, `os.replace`, fsync of the folder),
marking it in the journal after, so a crash leaves every file either old or new, never
half-written, with its original in the backup. A file that changed since it was planned is
left alone and reported.

A write that fails (a full disk, an I/O error, a permission refused) puts back every file
the run had written, by renaming its backup over it (no free space needed), removes the
run's folder and raises `WriteFailed` with the one line to print (see
`testing_lib.target_writes`, shared with the organizer's journal). When that rollback
cannot finish, the journal stays and the line names `remediate fix undo`.

`undo_run` puts the backups back, newest change first, but only where the file still holds
exactly what the codemod wrote; a file edited since is left alone and reported. A run killed
before it finished (status still `applying`) may have replaced a file without marking it:
such a file is restored too when it holds exactly what the run would have written. An undo
whose own write fails is taken back the same way (the files it had restored get the
codemod's bytes back).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testing_lib.storage import STATE_DIR, new_run_id
from testing_lib.target_writes import (
    RollbackStuck,
    RunFolder,
    WriteCommand,
    put_back,
    remove_temporaries,
    replace_bytes,
    rolled_back_on_failure,
    undo_put_back,
    write_new,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # undoing a run does not load libcst
    from testing_lib.codemods.codemod_plan import CodemodPlan

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
    applied: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # changed since planning: left alone


@dataclass
class UndoReport:
    run_id: str
    restored: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # already held the original content
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

    def roll_back() -> None:
        _roll_back(journal, run.path)
        run.discard(JOURNAL)

    changes = plan.changes
    with rolled_back_on_failure(command, roll_back):
        run.create("backups")
        for index, change in enumerate(changes):
            backup = run.path / "backups" / f"{index:04d}-{change.path.name}"
            write_new(backup, change.before)
            journal["files"].append(
                {
                    "path": change.relative,
                    "absolute": str(change.path),
                    "backup": str(backup.relative_to(run.path)),
                    "sha256_before": _sha(change.before),
                    "sha256_after": _sha(change.after),
                    "applied": False,
                }
            )
        _save(journal_path, journal)  # backups and journal exist before any file is touched
        for entry, change in zip(journal["files"], changes, strict=True):
            current = change.path.read_bytes() if change.path.exists() else None
            if current != change.before:
                report.conflicts.append(change.relative)
                entry["skipped"] = "changed since it was planned"
                continue
            replace_bytes(change.path, change.after)
            entry["applied"] = True
            report.applied.append(change.relative)
            _save(journal_path, journal)
        journal["status"] = "applied"
        _save(journal_path, journal)
    return report


def _roll_back(journal: dict[str, Any], run_dir: Path) -> None:
    """Put back every file this run wrote (marked or not), newest first, by renaming its
    backup over it; raises `RollbackStuck` naming files changed since the run wrote them."""
    changed = []
    for entry in reversed(journal["files"]):
        if entry.get("skipped"):
            continue
        path = Path(entry["absolute"])
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


def undo_run(root: Path, run_id: str | None = None) -> UndoReport:
    """Restore the files a codemod run changed (latest run when `run_id` is None).

    Raises `WriteFailed` when a write fails: the files it had restored hold the codemod's
    bytes again and the journal is unchanged (or the line names the undo to run again).
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
    restored: list[tuple[Path, Path, Path]] = []  # (file, its backup, the codemod's bytes)
    loaded = copy.deepcopy(journal)

    def take_back() -> None:
        """The journal as it was, then the codemod's bytes back in the files this undo
        restored (when the journal cannot be put back but already records the undo as
        done, the files stay restored, as it says)."""
        try:
            _save(journal_path, loaded)
        except OSError as exc:
            if _recorded(journal_path) != loaded:
                raise RollbackStuck(
                    f"its journal records the undo as done and cannot be changed ({exc}): "
                    "the files it restored stay restored"
                ) from exc
        while restored:
            undo_put_back(*restored.pop())

    with rolled_back_on_failure(command, take_back):
        for entry in reversed(journal["files"]):
            path = Path(entry["absolute"])
            if entry.get("skipped"):
                continue
            digest = _digest(path)
            if not entry.get("applied") and not (unfinished and digest == entry["sha256_after"]):
                continue  # never written: nothing to restore
            if digest is not None and digest == entry["sha256_before"]:
                report.already.append(entry["path"])
            elif digest is not None and digest == entry["sha256_after"]:
                backup = run_dir / entry["backup"]
                kept = backup.with_name(backup.name + KEPT_SUFFIX)
                restored.append((path, backup, kept))  # before: a failure part-way is taken back
                put_back(path, backup, keep=kept)
                report.restored.append(entry["path"])
            else:
                report.conflicts.append(entry["path"])
                continue
            entry["applied"] = False
        _sweep(journal)
        remove_temporaries(journal_path)
        journal["status"] = "undone" if not report.conflicts else "partly undone"
        journal["undone_at"] = datetime.now(UTC).isoformat()
        _save(journal_path, journal)
    for _, _, kept in restored:
        try:
            kept.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("Could not remove %s (%s); it is no longer needed", kept, exc)
    return report
