"""`remediate organize TARGET [--apply] [--undo] [--json PATH] [--python PATH] [--only PATH]
[--max-moves N]`.

Audits TARGET's test suite (every module pytest would collect, conftests and helpers),
finds duplicates and problems, and plans the standard layout (`tests/unit|integration|
performance|fixtures/<area>`). Registered in `cli/main.py` with
`app.command("organize")(organize)`; `organize_app` runs it on its own.

- default: a dry run; prints problems and the plan as tables, changes nothing;
- `--apply`: carries the plan out (`git mv` in a git work tree), journaled, checked with
  `pytest --collect-only` (the target's interpreter) before and after, and rolled back by
  itself if a test id disappears, a test's fixture stops resolving, or collection errors
  grow;
- `--undo`: restores the tree of the latest `--apply`, byte for byte (also of an apply
  that was killed before it finished);
- `--json PATH`: the whole report (`OrganizeReport`; after `--undo`, the `UndoResult`),
  paths relative to TARGET with forward slashes; `groups` lists the moves by destination
  and the files that stay by reason, as the tables do;
- `--only PATH` (repeatable) and `--max-moves N`: plan, and apply, one slice: only the
  files under those paths, at most N moves (in path order); the others stay this time,
  and the next run plans the rest.

Exit codes: 0 the dry run was printed (whatever problems it lists: the foundation phase's
"test organization audit" check is the gate), the apply was verified, or the undo was
verified byte for byte; 1 the apply was rolled back (the report names the tests it would
have lost), or the undo could not restore every file exactly, or a write into the target
failed (one line: what failed where, that the tree is as before, what to do; or, when the
rollback could not finish, the undo that finishes it); 2 bad input (no such
target, --apply with --undo, an interpreter that does not exist or lacks pytest, a stale
plan, nothing to undo, an earlier apply that did not finish): one line naming the fix,
nothing changed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.console import (
    EXIT_NEGATIVE,
    EXIT_OK,
    EXIT_USAGE,
    err,
    out,
    usage_error,
    write_failed,
)
from testing_lib.exceptions import RunnerError, TargetConfigError
from testing_lib.organizer.organizer_errors import OrganizerError
from testing_lib.target_writes import WriteFailed

if TYPE_CHECKING:
    from testing_lib.organizer.models import AuditReport, ExecutionResult, OrganizationPlan

EXIT_ROLLED_BACK = EXIT_NEGATIVE
MAX_PROBLEM_ROWS = 25
MAX_STAY_EXAMPLES = 3


_ACTION_STYLE = {
    "move": "cyan",
    "quarantine": "yellow",
    "lift_conftest": "magenta",
    "rewrite": "blue",
    "keep": "dim",
}


def _interpreter(root: Path, python: str | None) -> str:
    """--python, else the target's [tool.remediation] python, else this interpreter."""
    from testing_lib.config.pyproject import has_remediation_table
    from testing_lib.config.target import load_target_config, resolve_interpreter

    if (root / "tests").is_dir() or has_remediation_table(root):
        return load_target_config(root, python=python).python
    if python is not None:
        return resolve_interpreter(python, Path.cwd())
    return sys.executable


def _problems_table(report: AuditReport) -> Table | None:
    if not report.problems:
        return None
    table = Table(title="problems (collection-breaking first)", title_justify="left")
    table.add_column("kind", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("problem")
    for problem in report.problems[:MAX_PROBLEM_ROWS]:
        style = "red" if problem.breaks_collection else "yellow"
        table.add_row(
            Text(problem.kind.value, style=style),
            f"{problem.path}:{problem.line}",
            problem.message,
        )
    return table


def _plan_table(plan: OrganizationPlan) -> Table:
    """The moves and rewrites, a section per group (`move -> tests/unit/`, ...)."""
    from testing_lib.organizer.plan_groups import group_plan

    table = Table(title="organization plan (by reason)", title_justify="left")
    table.add_column("action", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("destination", no_wrap=True)
    table.add_column("imports", justify="right")
    table.add_column("reason")
    by_source = {e.source: e for e in plan.entries}
    for group in group_plan(plan.entries):
        members = [by_source[f] for f in group.files if by_source[f].action != "keep"]
        if not members:
            continue
        if table.row_count:
            table.add_section()
        table.add_row(Text(f"{group.label} ({len(members)})", style="bold"), "", "", "", "")
        for entry in members:
            table.add_row(
                Text(entry.action, style=_ACTION_STYLE.get(entry.action, "")),
                entry.source,
                entry.destination if entry.moves else "(stays)",
                str(len(entry.rewrites)) if entry.rewrites else "",
                entry.reason,
            )
    return table


def _stays_table(plan: OrganizationPlan) -> Table | None:
    """What stays where it is, and why: one row per reason, with a few of its files."""
    from testing_lib.organizer.plan_groups import group_plan

    groups = [g for g in group_plan(plan.entries) if not g.moves]
    if not groups:
        return None
    table = Table(title="what stays, and why", title_justify="left")
    table.add_column("why", no_wrap=True)
    table.add_column("files", justify="right")
    table.add_column("for example")
    for group in groups:
        shown = ", ".join(group.files[:MAX_STAY_EXAMPLES])
        more = len(group.files) - MAX_STAY_EXAMPLES
        table.add_row(
            group.label, str(len(group.files)), shown + (f" (+{more})" if more > 0 else "")
        )
    return table


def _summary(report: AuditReport) -> str:
    modules = [f for f in report.files if f.kind == "test"]
    tests = sum(f.test_count for f in modules)
    breaking = len(report.breaking_problems)
    copies = sum(1 for f in report.files if f.is_duplicate)
    return (
        f"{len(report.files)} files audited under {report.root}: {tests} tests in "
        f"{len(modules)} test modules, {len(report.problems)} problems ({breaking} break "
        "collection), "
        f"{len(report.duplicates)} duplicate pairs ({copies} whole-file copies)"
    )


def _warn_if_unfinished(root: Path) -> None:
    """A dry run changes nothing, but says so when it plans from a half-reorganized tree."""
    from testing_lib.organizer.journal import unfinished_apply_message, unfinished_journal

    try:
        unfinished = unfinished_journal(root) is not None
    except OrganizerError as exc:
        err.print(Text(f"warning: {exc}"), soft_wrap=True)
        return
    if unfinished:
        err.print(Text(f"warning: {unfinished_apply_message(root)}"), soft_wrap=True)


def _relative_selection(root: Path, path: str) -> str:
    """An --only path as a path relative to the root (exit 2 when it lies outside)."""
    candidate = Path(path)
    absolute = (candidate if candidate.is_absolute() else root / candidate).resolve()
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        raise usage_error(f"--only {path} is not inside {root}: give a path under TARGET") from None
    if not absolute.exists():
        raise usage_error(f"--only {path}: no such file or folder under {root}")
    return relative.as_posix() if str(relative) != "." else ""


def _write_json(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


def organize(
    target: Annotated[Path, typer.Argument(help="The project whose tests to organize.")],
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Carry the plan out (checked with pytest --collect-only, rolled back if a "
            "test would be lost).",
        ),
    ] = False,
    undo: Annotated[
        bool, typer.Option("--undo", help="Restore the tree of the latest --apply.")
    ] = False,
    json: Annotated[
        Path | None, typer.Option("--json", help="Also write the whole report as JSON here.")
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="Interpreter for the target's pytest (default: its config, else this one).",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Plan (and apply) only the moves of files under this path, relative to "
            "TARGET; repeat for more. The other files stay this time.",
        ),
    ] = None,
    max_moves: Annotated[
        int | None,
        typer.Option(
            "--max-moves",
            min=0,
            help="Plan (and apply) at most this many moves, in path order; the rest stay "
            "for a later run.",
        ),
    ] = None,
) -> None:
    """Audit TARGET's tests and plan (or apply, or undo) the standard layout, losing no test."""
    from testing_lib.organizer import TestFileOrganizer
    from testing_lib.organizer.execute import refuse_if_unfinished

    if apply and undo:
        raise usage_error("use either --apply or --undo, not both")
    if not target.exists():
        raise usage_error(f"target {str(target)!r} does not exist: pass a project directory")
    if not target.is_dir():
        raise usage_error(f"target {str(target)!r} is not a directory: pass a project directory")
    if json is not None and json.is_dir():
        raise usage_error(f"--json {json} is a directory: give a file path")
    root = target.resolve()
    selection = [_relative_selection(root, path) for path in only or []]
    if apply:
        try:
            refuse_if_unfinished(root)  # before planning from a half-reorganized tree
        except OrganizerError as exc:
            raise usage_error(str(exc)) from exc
    elif not undo:
        _warn_if_unfinished(root)
    try:
        interpreter = _interpreter(root, python)
    except TargetConfigError as exc:
        raise usage_error(str(exc)) from exc
    organizer = TestFileOrganizer(root, python=interpreter)

    if undo:
        try:
            undone = organizer.undo()
        except OrganizerError as exc:
            raise usage_error(str(exc)) from exc
        except WriteFailed as exc:
            raise write_failed(exc) from exc
        out.print(Text(undone.message, style="green" if undone.verified else "bold red"))
        if json is not None:
            _write_json(json, undone.model_dump_json(indent=2))
        raise typer.Exit(EXIT_OK if undone.verified else EXIT_ROLLED_BACK)

    try:
        organizer.audit_test_files()
        organizer.create_organization_plan(only=selection, max_moves=max_moves)
    except RunnerError as exc:
        raise usage_error(str(exc)) from exc
    report = organizer.report
    plan = organizer.plan
    assert plan is not None
    out.print(Text(_summary(report)), soft_wrap=True)
    problems = _problems_table(report)
    if problems is not None:
        out.print(problems)
        hidden = len(report.problems) - MAX_PROBLEM_ROWS
        if hidden > 0:
            out.print(Text(f"... and {hidden} more problems (see --json)"))
    if any(e.action != "keep" for e in plan.entries):
        out.print(_plan_table(plan))
    else:
        out.print(Text("nothing to move: every file is already in the layout."))
    for conflict in plan.conflicts:
        out.print(Text(f"conflict: {conflict.resolution}"), soft_wrap=True)
    stays = _stays_table(plan)
    if stays is not None:
        out.print(stays)
    kept = sum(1 for e in plan.entries if e.action == "keep")
    out.print(Text(f"{kept} file(s) stay as they are."))

    result: ExecutionResult | None = None
    if apply:
        try:
            with out.status("applying: pytest --collect-only before and after"):
                result = organizer.execute_reorganization(plan, apply=True)
        except (OrganizerError, RunnerError) as exc:
            raise usage_error(str(exc)) from exc
        except WriteFailed as exc:
            raise write_failed(exc) from exc
        style = "bold red" if result.rolled_back else "green"
        out.print(Text(result.message, style=style), soft_wrap=True)
        if result.applied and not result.rolled_back:
            out.print(Text(f"undo with: remediate organize {target} --undo"), soft_wrap=True)
    else:
        out.print(
            Text(
                "dry run: nothing changed. --apply carries it out, checked with pytest "
                "--collect-only before and after and rolled back if a test would be lost.",
            ),
            soft_wrap=True,
        )
    if json is not None:
        document = organizer.organize_report(result, report=report, plan=plan)
        _write_json(json, document.model_dump_json(indent=2))
    raise typer.Exit(EXIT_ROLLED_BACK if result is not None and result.rolled_back else EXIT_OK)


organize_app = typer.Typer(
    add_completion=False,
    help="Audit a test suite and reorganize it into the standard layout without losing a test.",
)
organize_app.command("organize")(organize)


def main(argv: list[str] | None = None) -> int:
    """Run `organize` on its own; returns the exit code (see the module docstring)."""
    try:
        organize_app(args=argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
