"""Apply a codemod plan without ever losing a file, and undo it.

`apply_plan` first writes a journal and a backup of every file it will touch under
TARGET/.remediation/codemods/<run-id>/, then replaces each file atomically (new content to a
temporary file in the same folder, fsync, `os.replace`), so a crash leaves every file either
old or new, never half-written, with its original in the backup. A file that changed since it
was planned is left alone and reported.

`undo_run` puts the backups back, newest change first, but only where the file still holds
exactly what the codemod wrote; a file edited since is left alone and reported. A run killed
before it finished (status still `applying`) may have replaced a file without marking it:
such a file is restored too when it holds exactly what the run would have written.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testing_lib.storage import STATE_DIR, new_run_id

if TYPE_CHECKING:  # undoing a run does not load libcst
    from testing_lib.codemods.codemod_plan import CodemodPlan

JOURNAL = "journal.json"


class JournalError(Exception):
    """A journal is missing or unreadable; the message names the run and the fix."""


def codemods_dir(root: Path) -> Path:
    return root / STATE_DIR / "codemods"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: temp file in the same folder, fsync, rename; mode kept."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _save(journal_path: Path, journal: dict[str, Any]) -> None:
    write_atomic(journal_path, (json.dumps(journal, indent=2) + "\n").encode("utf-8"))


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
    """Write every planned change, journaled and backed up first."""
    run_id = run_id or new_run_id()
    run_dir = codemods_dir(plan.root) / run_id
    journal_path = run_dir / JOURNAL
    journal: dict[str, Any] = {
        "run_id": run_id,
        "codemod": codemod,
        "root": str(plan.root),
        "created_at": datetime.now(UTC).isoformat(),
        "status": "applying",
        "files": [],
    }
    report = ApplyReport(run_id=run_id, journal=journal_path)
    changes = plan.changes
    for index, change in enumerate(changes):
        backup = run_dir / "backups" / f"{index:04d}-{change.path.name}"
        write_atomic(backup, change.before)
        journal["files"].append(
            {
                "path": change.relative,
                "absolute": str(change.path),
                "backup": str(backup.relative_to(run_dir)),
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
        write_atomic(change.path, change.after)
        entry["applied"] = True
        report.applied.append(change.relative)
        _save(journal_path, journal)
    journal["status"] = "applied"
    _save(journal_path, journal)
    return report


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
    """Restore the files a codemod run changed (latest run when `run_id` is None)."""
    journal_path, journal = load_journal(root, run_id)
    report = UndoReport(run_id=str(journal["run_id"]))
    run_dir = journal_path.parent
    unfinished = journal.get("status") == "applying"
    for entry in reversed(journal["files"]):
        path = Path(entry["absolute"])
        if entry.get("skipped"):
            continue
        if not entry.get("applied"):
            written = path.is_file() and _sha(path.read_bytes()) == entry["sha256_after"]
            if not (unfinished and written):
                continue  # never written: nothing to restore
        original = (run_dir / entry["backup"]).read_bytes()
        current = path.read_bytes() if path.exists() else None
        if current is not None and _sha(current) == entry["sha256_before"]:
            report.already.append(entry["path"])
        elif current is not None and _sha(current) == entry["sha256_after"]:
            write_atomic(path, original)
            report.restored.append(entry["path"])
        else:
            report.conflicts.append(entry["path"])
            continue
        entry["applied"] = False
    journal["status"] = "undone" if not report.conflicts else "partly undone"
    journal["undone_at"] = datetime.now(UTC).isoformat()
    _save(journal_path, journal)
    return report
