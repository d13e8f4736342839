"""Commands that write into a target refuse while an organizer apply of it never finished:
rewriting a half-reorganized tree would keep `remediate organize --undo` from restoring it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from cli.console import EXIT_USAGE, err


def refuse_over_unfinished_organize(target: Path) -> None:
    """Exit 2 when an organizer apply of `target` (or a folder above it) never finished."""
    from testing_lib.organizer.journal import unfinished_apply_message, unfinished_journal
    from testing_lib.organizer.organizer_errors import OrganizerError

    start = target.resolve()
    folders = [start, *start.parents] if start.is_dir() else list(start.parents)
    for folder in folders:
        try:
            unfinished = unfinished_journal(folder)
        except OrganizerError as exc:
            err.print(Text(f"error: {exc}"), soft_wrap=True)
            raise typer.Exit(EXIT_USAGE) from exc
        if unfinished is not None:
            err.print(Text(f"error: {unfinished_apply_message(folder)}"), soft_wrap=True)
            raise typer.Exit(EXIT_USAGE)
