"""A saved proposal rendered for people (a Prefect artifact, the approval form's text):
per cure, before → after, the proof runs with the commands that replay them, the diff,
and the command that applies the proposal later."""

from __future__ import annotations

from testing_lib.cures.cure_models import GroupCure
from testing_lib.cures.proposals import Proposal


def _fence(text: str, language: str = "") -> list[str]:
    ticks = "````" if "```" in text else "```"
    return [f"{ticks}{language}", text.rstrip("\n"), ticks]


def _cure_section(number: int, group: GroupCure) -> list[str]:
    safety = "safe" if group.safe else "unsafe"
    lines = [
        f"### {number}. {group.count} × {group.label}",
        "",
        f"**cure** `{group.cure}` ({safety}): {group.summary}",
        "",
        f"**before → after:** {group.before} → {group.after}",
        "",
        "**proof runs** (from the target's root):",
        "",
    ]
    for run in group.proof:
        if run.name != "before":  # a phase's run after the cure, or a run of its kind's
            mark = "✓" if run.passed else "✗"
            lines.append(f"- {mark} {run.phase if run.name == 'after' else run.name}: {run.detail}")
            lines.append(f"  `{run.command}`")
    if group.diff:
        lines += ["", *_fence(group.diff, "diff")]
    return [*lines, ""]


def proposal_markdown(proposal: Proposal, target_name: str) -> str:
    """The proven cures of `proposal`, numbered as the approval form and `--cure N` number them."""
    report = proposal.report
    lines = [
        f"# Proven cures for {target_name}: proposal {proposal.id}",
        "",
        f"Phases: {', '.join(proposal.phases)}. Each cure was proven on a scratch copy of the "
        "target (the group's tests now run, no test is lost, no test that passed fails); "
        "the target itself was not changed.",
        "",
    ]
    if report.first_runs:  # where each phase's failures come from
        lines += [f"- {run.phase}: {run.note}" for run in report.first_runs] + [""]
    for cure in proposal.cures:
        lines += _cure_section(cure.number, report.groups[cure.number - 1])
    others = [g for g in report.groups if not g.applicable]
    if others:
        lines += ["### Failures without a cure to apply", ""]
        lines += [f"- {g.count} × {g.label}: {g.status}: {g.reason or g.summary}" for g in others]
        lines.append("")
    if report.phase_changes:
        lines += [
            "### Each phase before → with the proven cures (scratch copy)",
            "",
            "| phase | before | with the cures |",
            "| --- | --- | --- |",
        ]
        lines += [
            f"| {c.phase} | {c.before.text()} | {c.after.text()} |" for c in report.phase_changes
        ]
        lines.append("")
    lines += [
        "### Apply",
        "",
        "All of them (or some, with `--cure N`), while the target is unchanged:",
        "",
        *_fence(proposal.apply_command(), "sh"),
        "",
        f"Undo an apply with `remediate fix undo {proposal.root} RUN_ID` (the apply names it).",
    ]
    return "\n".join(lines) + "\n"
