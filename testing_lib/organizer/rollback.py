"""Taking an apply back: its own rollback, and `undo`.

`roll_back` reverses what this process's apply did (after a failed write, an interruption,
or a collection that lost tests), reading each step's state from the disk and needing no
free space; `undo(root)` reverses the latest applied (or unfinished) journal and verifies
every file byte for byte. An undo whose own write fails is taken back (`redo_ops`) and
raises `WriteFailed` with the one line to print (see `testing_lib.target_writes`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from testing_lib.organizer.journal import (
    JOURNAL_FILE,
    UNDOABLE,
    Journal,
    JournalOp,
    check_undoable,
    drop_rewritten,
    journals_dir,
    latest_applied,
    load,
    reconcile,
    redo_ops,
    save,
    save_if_possible,
    sweep_temporaries,
    undo_ops,
    verify_originals,
)
from testing_lib.organizer.models import UndoResult
from testing_lib.organizer.organizer_errors import OrganizerError
from testing_lib.target_writes import (
    RollbackStuck,
    RunFolder,
    WriteCommand,
    rolled_back_on_failure,
)

__all__ = ["close_rolled_back", "roll_back", "roll_back_or_log", "undo"]

logger = logging.getLogger(__name__)


def roll_back(journal: Journal, folder: Path, root: Path) -> list[str]:
    """Undo this process's own apply; returns the files not restored byte for byte.

    Needs no free space (backups are renamed back over rewritten files) and updates the
    journal only where it can: the journal stays unfinished ("rolling_back", or the status
    it had) until the rollback is closed, so a kill or a failure during the rollback is
    still noticed and `undo` finishes it from what is on disk. Raises `RollbackStuck`
    naming the files that changed while the apply ran (neither what it found nor what it
    left: undo refuses them too) or the folders it made that others filled meanwhile,
    OSError when a step cannot be reversed.
    """
    journal.status = "rolling_back"
    save_if_possible(journal, folder)
    changed = reconcile(journal, root)
    if changed:
        raise RollbackStuck("changed while it ran: " + ", ".join(changed))
    leftovers = undo_ops(journal, folder, root, record=save_if_possible)
    sweep_temporaries(journal, folder, root)
    if leftovers:
        raise RollbackStuck("not empty, so not removed: " + ", ".join(leftovers))
    return verify_originals(journal, root)


def close_rolled_back(journal: Journal, run: RunFolder) -> None:
    """Record the rollback as finished; a journal that cannot be saved goes (nothing changed)."""
    journal.status = "rolled_back"
    journal.finished_at = datetime.now(UTC)
    if not save_if_possible(journal, run.path):
        run.discard(JOURNAL_FILE)


def roll_back_or_log(journal: Journal, folder: Path, root: Path) -> None:
    """Roll back an interrupted apply; what stops the rollback is logged (undo finishes it)."""
    try:
        roll_back(journal, folder, root)
    except (OSError, RollbackStuck) as stuck:
        logger.warning(
            "The rollback of %s could not finish (%s): `remediate organize %s --undo` "
            "restores the tree",
            root,
            stuck,
            root,
        )
        return
    journal.status = "rolled_back"
    journal.finished_at = datetime.now(UTC)
    save_if_possible(journal, folder)


def _recorded_status(folder: Path) -> str | None:
    """The status the journal on disk records (None when it cannot be read)."""
    try:
        return load(folder).status
    except OrganizerError:
        return None


def undo(root: Path, journal_folder: Path | None = None) -> UndoResult:
    """Undo the latest applied reorganization of `root` (or the given journal)."""
    root = Path(root).resolve()
    folder = journal_folder or latest_applied(root)
    if folder is None:
        raise OrganizerError(
            f"nothing to undo under {root}: no applied reorganization in "
            f"{journals_dir(root).relative_to(root)}/"
        )
    journal = load(folder)
    if journal.status not in UNDOABLE:
        raise OrganizerError(f"journal {folder.name} is {journal.status}: nothing to undo")
    unfinished = journal.unfinished
    check_undoable(journal, root)
    restored = sorted({op.path for op in journal.ops if op.done and op.op in ("move", "write")})
    if unfinished:
        logger.info("Undoing the unfinished reorganization journaled in %s", folder)
    command = WriteCommand(
        f"the undo of the reorganization of {root}",
        root,
        finish=f"remediate organize {root} --undo",
    )
    status, finished_at = journal.status, journal.finished_at
    reversed_ops: list[JournalOp] = []

    def take_back() -> None:
        """Carry out again what this undo reversed; the journal as it was.

        The journal says `undoing` meanwhile (unfinished: a kill is noticed). When it cannot
        be written but already records the undo as done, the tree stays restored, as it says.
        """
        journal.status = "undoing"
        if not save_if_possible(journal, folder) and _recorded_status(folder) == "undone":
            raise RollbackStuck(
                "its journal records the undo as done and cannot be changed: the tree stays "
                "restored"
            )
        redo_ops(journal, folder, root, reversed_ops)
        journal.status, journal.finished_at = status, finished_at
        save_if_possible(journal, folder)

    with rolled_back_on_failure(command, take_back):
        journal.status = "undoing"  # unfinished until every step is reversed
        save(journal, folder)
        leftovers = undo_ops(journal, folder, root, reversed_ops=reversed_ops)
        sweep_temporaries(journal, folder, root)
        wrong = verify_originals(journal, root)
        journal.status = "undone"
        journal.finished_at = datetime.now(UTC)
        save(journal, folder)
    drop_rewritten(journal, folder)
    what = "the unfinished apply" if unfinished else "the apply"
    message = (
        f"undone {what}: {len(restored)} file(s) restored byte for byte"
        if not wrong
        else f"undone {what}, but these differ from before: " + ", ".join(wrong)
    )
    if leftovers:
        message += "; left folders that are not empty: " + ", ".join(leftovers)
    return UndoResult(
        journal=folder.relative_to(root).as_posix(),
        restored=restored,
        verified=not wrong,
        leftovers=leftovers,
        message=message,
    )
