"""`remediate fix ...`: cure a target's failures, or rewrite its old test code (dry run by default).

    remediate fix TARGET [--phase P] [--only KIND] [--apply]   # proven cures (cli.cures)
    remediate fix http-clients TARGET            # show the diff, change nothing
    remediate fix http-clients TARGET --apply    # write it (journaled, backed up)
    remediate fix undo TARGET [RUN_ID]           # put the files back (latest run by default)

A file that does not parse is listed as Python reports it: `path:LINE: SyntaxError: message`.
`--apply` refuses (exit 2) while an organizer apply of the target (or a folder above it) is
unfinished: rewriting a half-reorganized tree would keep `remediate organize --undo` from
restoring it.

Exit codes: 0 done (or nothing to do), 1 some files were left alone (unparseable, conflicting
or changed since planning; each is listed), or a write failed (one line: what failed where,
that the files are as before, what to do; or, when the rollback could not finish, the undo
that finishes it), 2 bad usage (or an unfinished organizer apply).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperGroup

from cli.console import EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, err, out, write_failed
from cli.cures import apply_saved, cures
from cli.unfinished_organize import refuse_over_unfinished_organize
from testing_lib.target_writes import WriteFailed


class _CuresByDefault(TyperGroup):
    """`remediate fix TARGET ...` is `remediate fix cures TARGET ...`: a first argument that
    names no subcommand is the target."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:  # typer vendors click
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["cures", *args]
        return super().resolve_command(ctx, args)


fix_app = typer.Typer(
    cls=_CuresByDefault,
    subcommand_metavar="TARGET [--phase P] [--only KIND] [--apply] | COMMAND [ARGS]...",
    no_args_is_help=True,
    help="Cure a target's failures with proven patches (`remediate fix TARGET`), or rewrite "
    "test code that newer libraries broke; a diff unless --apply; undoable.",
)
fix_app.command("cures", hidden=True)(cures)
fix_app.command("apply")(apply_saved)
EXIT_LEFT_ALONE = EXIT_NEGATIVE


def _say(message: str, style: str = "") -> None:
    out.print(Text(message, style=style), soft_wrap=True)


def _target(target: Path) -> Path:
    if not target.exists():
        err.print(Text(f"error: {target} does not exist: pass a project folder or a file"))
        raise typer.Exit(EXIT_USAGE)
    return target


@fix_app.command("http-clients")
def http_clients(
    target: Annotated[Path, typer.Argument(help="The project (or one file) to rewrite.")],
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the changes (default: only show the diff).")
    ] = False,
) -> None:
    """httpx.AsyncClient(app=...) -> AsyncClient(transport=ASGITransport(app=...)) (httpx 0.28)."""
    from testing_lib.codemods import apply_plan, plan_http_clients

    _target(target)
    if apply:
        refuse_over_unfinished_organize(target)
    plan = plan_http_clients(target)
    left_alone = False
    for relative, skipped in plan.skipped:
        _say(f"left alone: {relative}:{skipped.line}: {skipped.reason}", "yellow")
        left_alone = True
    for item in plan.unparseable:
        _say(f"left alone, cannot parse: {item.describe()}", "yellow")
        left_alone = True
    changes = plan.changes
    if not changes:
        _say(f"nothing to rewrite in {plan.scanned} Python file(s) under {plan.root}")
        raise typer.Exit(EXIT_LEFT_ALONE if left_alone else EXIT_OK)
    summary = f"{plan.rewrite_count} client(s) in {len(changes)} file(s)"
    if not apply:
        out.print(plan.diff(), markup=False, highlight=False, end="", soft_wrap=True)
        _say(f"would rewrite {summary}; run again with --apply to write them", "bold")
        _say(
            "no test was run: where tests fail for `app=`, `remediate fix TARGET` proves this "
            "rewrite on a scratch copy first"
        )
        raise typer.Exit(EXIT_LEFT_ALONE if left_alone else EXIT_OK)
    try:
        report = apply_plan(plan, codemod="http-clients")
    except WriteFailed as exc:
        raise write_failed(exc) from exc
    for relative in report.applied:
        _say(f"rewrote {relative}", "green")
    for relative in report.conflicts:
        _say(f"left alone: {relative} changed while the codemod ran; run it again", "yellow")
    _say(f"rewrote {summary} (journal: {report.journal})", "bold")
    _say(f"undo with: remediate fix undo {plan.root} {report.run_id}")
    raise typer.Exit(EXIT_LEFT_ALONE if (left_alone or report.conflicts) else EXIT_OK)


@fix_app.command("undo")
def undo(
    target: Annotated[Path, typer.Argument(help="The project the codemod ran on.")],
    run_id: Annotated[
        str | None, typer.Argument(help="The run to undo (default: the latest).")
    ] = None,
) -> None:
    """Restore the files a codemod run rewrote, if they still hold what it wrote."""
    from testing_lib.codemods import JournalError, undo_run

    root = _target(target).resolve()
    try:
        report = undo_run(root if root.is_dir() else root.parent, run_id)
    except JournalError as exc:
        err.print(Text(f"error: {exc}"))
        raise typer.Exit(EXIT_USAGE) from exc
    except WriteFailed as exc:
        raise write_failed(exc) from exc
    for relative in report.restored:
        _say(f"restored {relative}", "green")
    for relative in report.already:
        _say(f"already original: {relative}")
    for relative in report.conflicts:
        _say(f"left alone: {relative} was edited after the codemod; restore it by hand", "yellow")
    _say(f"undid run {report.run_id}: {len(report.restored)} file(s) restored", "bold")
    raise typer.Exit(EXIT_LEFT_ALONE if report.conflicts else EXIT_OK)
