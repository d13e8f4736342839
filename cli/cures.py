"""`remediate fix TARGET`: a proven cure for each failure group with a mechanical cause.

    remediate fix TARGET                      # find each phase's failures, prove each cure
                                              # on a scratch copy, show the diffs; change nothing
    remediate fix TARGET --phase foundation   # only that phase's failures (repeatable)
    remediate fix TARGET --only async-mode    # only cures of that kind (repeatable)
    remediate fix TARGET --apply              # write the proven cures (journaled)
    remediate fix undo TARGET [RUN_ID]        # put the files back, byte for byte

The failure groups are those of each phase's latest run (`remediate run`) when the
target's files are unchanged since and the run was made as a run of the scratch copy is;
else of a run of the phase on the copy. The first lines say which, per phase.

A cure is shown only once proven on a scratch copy of the target: with it, the group's
tests run (collected, no longer failing for that cause), no test collected before is
missing, and no test that passed before fails. Every cure is marked safe (it changes no
test's meaning: a package marker, an import path, a configuration key) or unsafe; `--apply`
writes safe cures, an unsafe one only when named with `--only`.

Exit codes: 0 done (cures proven or applied, or nothing to cure); 1 a cure was refused by
its proof, a file changed while the cures were proven (left alone), or a write failed (one
line, the files as before); 2 bad usage or configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.status import Status
from rich.text import Text

from cli.console import EXIT_NEGATIVE, EXIT_OK, err, error, out, usage_error, write_failed
from cli.unfinished_organize import refuse_over_unfinished_organize
from testing_lib.config.phases import PHASE_ORDER
from testing_lib.cures.kinds import CURE_KINDS

if TYPE_CHECKING:
    from testing_lib.codemods import ApplyReport
    from testing_lib.cures.cure_models import GroupCure
    from testing_lib.cures.proposals import Proposal
    from testing_lib.cures.session import CurePlan

_STYLE = {"proven": "bold green", "refused": "bold yellow", "no cure": "bold"}


def _say(message: str, style: str = "") -> None:
    out.print(Text(message, style=style), soft_wrap=True)


def show_group(group: GroupCure, index: int, diff: bool) -> None:
    safety = "" if group.safe is None else (" [safe]" if group.safe else " [unsafe]")
    _say(f"{index}. {group.count} × {group.label}: {group.status}{safety}", _STYLE[group.status])
    if group.status == "no cure":
        _say(f"   {group.summary}")
        return
    _say(f"   cure ({group.cure}): {group.summary}")
    _say(f"   before → after: {group.before} → {group.after}")
    for run in group.proof:
        if run.name != "before":  # a phase's run after the cure, or a run of its kind's
            mark = "✓" if run.passed else "✗"
            _say(f"   {mark} proof, {run.phase if run.name == 'after' else run.name}: {run.detail}")
            _say(f"     {run.command}")
    if group.reason:
        _say(f"   refused: {group.reason}", "yellow")
    if group.held:
        _say(
            f"   unsafe (it changes what runs): written only when asked for, --only {group.cure}",
            "yellow",
        )
    if diff and group.diff:
        out.print(group.diff, markup=False, highlight=False, end="", soft_wrap=True)


def _phase_table(plan: CurePlan) -> None:
    from rich.table import Table

    table = Table(title="each phase before → with the proven cures (scratch copy)")
    for column in ("phase", "ran", "passed", "failed", "errors", "not collected"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for change in plan.report.phase_changes:
        before, after = change.before, change.after
        table.add_row(
            change.phase,
            *(
                f"{getattr(before, name)} → {getattr(after, name)}"
                for name in ("ran", "passed", "failed", "errors", "not_collected")
            ),
        )
    out.print(table)


def _phases(phase: list[str] | None) -> list[str]:
    chosen = phase or list(PHASE_ORDER)
    unknown = [name for name in chosen if name not in PHASE_ORDER]
    if unknown:
        raise usage_error(f"unknown phase {unknown[0]!r}: choose from {', '.join(PHASE_ORDER)}")
    return [name for name in PHASE_ORDER if name in chosen]


def _propose(root: Path, phases: list[str], only: list[str], python: str | None) -> CurePlan:
    from cli.progress_lines import showing_progress
    from testing_lib.exceptions import RunnerError, TargetConfigError
    from testing_lib.isolation.validation_progress import IsolationProgress

    progress = IsolationProgress()
    progress.stage("reading the target's configuration")
    try:
        with Status("", console=err) as status, showing_progress(progress, status):
            # loaded once the progress shows: the cures load libcst
            from testing_lib.config.target import load_target_config
            from testing_lib.cures.session import propose_cures

            target = load_target_config(root, python=python)
            progress.stage("finding each phase's failures")
            return propose_cures(target, phases, only=only, progress=progress.stage)  # type: ignore[arg-type]
    except TargetConfigError as exc:
        raise usage_error(str(exc)) from exc
    except RunnerError as exc:  # the target's interpreter cannot run its tests
        raise usage_error(str(exc)) from exc
    except OSError as exc:  # the scratch copy could not be made (a full disk, ...)
        error(f"the cures could not be proven: {exc}; nothing was changed in {root}")
        raise typer.Exit(EXIT_NEGATIVE) from exc


def _save(plan: CurePlan) -> Proposal:
    from testing_lib.cures.proposals import save_proposal
    from testing_lib.target_writes import WriteFailed

    try:
        return save_proposal(plan)
    except (OSError, WriteFailed) as exc:
        raise usage_error(f"cannot save the proposal under {plan.root}: {exc}") from exc


def _apply(plan: CurePlan) -> int:
    from testing_lib.codemods import CodemodPlan, apply_plan
    from testing_lib.cures.session import CODEMOD
    from testing_lib.target_writes import WriteFailed

    codemod_plan = CodemodPlan(root=plan.root, files=plan.file_plans())
    try:
        applied = apply_plan(codemod_plan, codemod=CODEMOD)
    except WriteFailed as exc:
        raise write_failed(exc) from exc
    return _written(applied, plan.root, "")


def _written(applied: ApplyReport, root: Path, what: str) -> int:
    """Print what an apply wrote and left alone, and its undo; the exit code."""
    for relative in applied.applied:
        _say(f"wrote {relative}", "green")
    for relative in applied.conflicts:
        _say(f"left alone: {relative} changed since the cures were proven; run again", "yellow")
    _say(f"{what}undo with: remediate fix undo {root} {applied.run_id}")
    return EXIT_NEGATIVE if applied.conflicts else EXIT_OK


def cures(
    target: Annotated[Path, typer.Argument(help="The project whose failures to cure.")],
    phase: Annotated[
        list[str] | None,
        typer.Option("--phase", help="Cure only this phase's failures (repeatable)."),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the proven cures (default: only show them).")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Try only cures of this kind (repeatable): "
            + ", ".join(CURE_KINDS)
            + "; an unsafe one (skip-missing) is written only when named here.",
        ),
    ] = None,
    python: Annotated[
        str | None,
        typer.Option("--python", help="Interpreter for the target's tests (default: its config)."),
    ] = None,
) -> None:
    """Prove a cure for each failure group with a mechanical cause; show it, or --apply it."""
    if not target.is_dir():
        raise usage_error(f"{target} is not a folder: pass the project's root")
    unknown = [kind for kind in only or [] if kind not in CURE_KINDS]
    if unknown:
        raise usage_error(f"unknown cure {unknown[0]!r}: choose from {', '.join(CURE_KINDS)}")
    phases = _phases(phase)
    if apply:
        refuse_over_unfinished_organize(target)
    plan = _propose(target.resolve(), phases, list(only or []), python)
    report = plan.report
    for first in report.first_runs:
        _say(f"{first.phase}: {first.note}", "dim")
    if not report.groups:
        _say(f"no failure to cure in {', '.join(phases)}", "bold")
        raise typer.Exit(EXIT_OK)
    for index, group in enumerate(report.groups, 1):
        show_group(group, index, diff=not apply)
    refused = any(group.status == "refused" for group in report.groups)
    proven = report.proven
    held = [group.cure for group in report.groups if group.held]
    if held:
        named = " ".join(f"--only {kind}" for kind in dict.fromkeys(held))
        _say(f"{len(held)} unsafe cure(s) proven, not written unless named: {named}", "bold")
    if not proven:
        _say("no proven cure to write", "bold")
        raise typer.Exit(EXIT_NEGATIVE if refused else EXIT_OK)
    _phase_table(plan)
    _say(f"proof: {plan.runs} pytest run(s) of the phases on a scratch copy")
    files = len(plan.changes)
    if not apply:
        proposal = _save(plan)
        _say(
            f"{len(proven)} cure(s) proven, {files} file(s); saved as proposal {proposal.id}. "
            "Write them with --apply, or these very ones (all, or some with --cure N) with: "
            f"{proposal.apply_command()}",
            "bold",
        )
        raise typer.Exit(EXIT_NEGATIVE if refused else EXIT_OK)
    code = _apply(plan)
    raise typer.Exit(max(code, EXIT_NEGATIVE if refused else EXIT_OK))


def apply_saved(
    target: Annotated[Path, typer.Argument(help="The project the proposal was proven on.")],
    proposal_id: Annotated[
        str | None, typer.Argument(help="The proposal to apply (default: the latest).")
    ] = None,
    cure: Annotated[
        list[int] | None,
        typer.Option("--cure", help="Apply only the cure of this number (repeatable)."),
    ] = None,
) -> None:
    """Write a saved proposal's proven cures, if the target is still what they were proven on."""
    from testing_lib.cures.proposals import ProposalError, apply_proposal
    from testing_lib.target_writes import WriteFailed

    if not target.is_dir():
        raise usage_error(f"{target} is not a folder: pass the project's root")
    root = target.resolve()
    refuse_over_unfinished_organize(root)
    try:
        proposal, applied = apply_proposal(root, proposal_id, cure or None)
    except ProposalError as exc:
        raise usage_error(str(exc)) from exc
    except WriteFailed as exc:
        raise write_failed(exc) from exc
    raise typer.Exit(_written(applied, root, f"applied proposal {proposal.id}; "))
