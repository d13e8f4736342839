"""`remediate isolation --fix [--apply]`: show each confirmed pair's proven fix, or why none.

Dry run by default: the diff of each proven patch and its proof runs. `--apply` writes the
proven patches through the codemod journal (backed up first; `remediate fix undo TARGET
RUN_ID` restores them). A write that fails puts every file back and exits 1 with one line.
"""

from __future__ import annotations

from rich.text import Text

from cli.console import out, write_failed
from testing_lib.codemods import CodemodPlan, apply_plan
from testing_lib.isolation.fix_models import FixReport, PairFix
from testing_lib.isolation.fix_plan import CODEMOD
from testing_lib.target_writes import WriteFailed


def _say(message: str, style: str = "") -> None:
    out.print(Text(message, style=style), soft_wrap=True)


def _show(fix: PairFix) -> None:
    header = f"{fix.victim} after {fix.polluter}: {fix.status}"
    style = {"proven": "bold green", "not proven": "bold yellow"}.get(fix.status, "bold")
    _say(header, style)
    if fix.restores:
        _say(f"  restores: {'; '.join(fix.restores)}")
    for run in fix.proof:
        mark = "✓" if run.passed else "✗"
        _say(f"  {mark} {run.name}: {run.detail}  ({run.command})")
    if fix.reason:
        _say(f"  why: {fix.reason}")


def show_fixes(report: FixReport, plan: CodemodPlan, *, apply: bool) -> None:
    """Print every pair's fix; with `apply`, write the proven patches, journaled."""
    _say("")
    if not report.fixes:
        _say("no confirmed pair to fix")
        return
    for fix in report.fixes:
        _show(fix)
    if not plan.changes:
        _say("no proven fix to offer", "bold")
        return
    if not apply:
        out.print(plan.diff(), markup=False, highlight=False, end="", soft_wrap=True)
        _say(
            f"would patch {len(plan.changes)} file(s); run again with --fix --apply to write them",
            "bold",
        )
        return
    try:
        applied = apply_plan(plan, codemod=CODEMOD)
    except WriteFailed as exc:
        raise write_failed(exc) from exc
    for relative in applied.applied:
        _say(f"patched {relative}", "green")
    for relative in applied.conflicts:
        _say(f"left alone: {relative} changed while the fixes were proven; run again", "yellow")
    _say(f"undo with: remediate fix undo {plan.root} {applied.run_id}")
