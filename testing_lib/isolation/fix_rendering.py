"""Proposed fixes for people: saved as patch files and shown in markdown (the nightly
artifact), per pair: victim, polluter, what leaked, the proven patch and how to apply it."""

from __future__ import annotations

import shlex
from pathlib import Path

from testing_lib.isolation.fix_models import FixReport, PairFix
from testing_lib.isolation.history import history_dir
from testing_lib.isolation.order_models import IsolationReport


def fixes_dir(root: Path, night: str) -> Path:
    """TARGET/.remediation/isolation/fixes/<report name>/: the patches of one night."""
    return history_dir(root) / "fixes" / night


def save_patches(root: Path, night: str, fixes: FixReport) -> dict[str, Path]:
    """One `.diff` per patched module (proven or not); returns each victim's patch file."""
    folder = fixes_dir(root, night)
    written: dict[str, Path] = {}
    by_file: dict[str, Path] = {}
    for fix in fixes.fixes:
        if not fix.diff or fix.file is None:
            continue
        path = by_file.get(fix.file)
        if path is None:
            path = folder / (fix.file.replace("/", "__") + ".diff")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(fix.diff, encoding="utf-8")
            by_file[fix.file] = path
        written[fix.victim] = path
    return written


def apply_command(report: IsolationReport) -> str:
    """The command that validates again in the same orders and writes the proven fixes."""
    return shlex.join(
        [
            "remediate",
            "isolation",
            report.root,
            "--seed",
            str(report.seed),
            "--orders",
            str(max(2, len(report.orders_run))),
            "--fix",
            "--apply",
        ]
    )


def _section(fix: PairFix, leaked: list[str], patch: Path | None, command: str) -> list[str]:
    lines = [
        f"### `{fix.victim}`",
        "",
        f"- polluter: `{fix.polluter}`",
        f"- leaked state: {'; '.join(leaked) or 'none the validator tracks'}",
        f"- fix: **{fix.status}**" + (f" ({fix.reason})" if fix.reason else ""),
    ]
    lines += [f"  - {'✓' if run.passed else '✗'} {run.name}: {run.detail}" for run in fix.proof]
    if patch is not None:
        lines.append(f"- patch file: `{patch}`")
    if fix.diff and fix.status == "proven":
        lines += ["", "```diff", fix.diff.rstrip("\n"), "```", "", f"Apply it: `{command}`"]
    return [*lines, ""]


def fixes_markdown(report: IsolationReport, fixes: FixReport, patches: dict[str, Path]) -> str:
    """A section per pair with a proposed fix (new pairs, on the nightly run)."""
    if not fixes.fixes:
        return ""
    leaks = {pair.victim: [leak.detail for leak in pair.leaks] for pair in report.pairs}
    command = apply_command(report)
    lines = ["## Proposed fixes for what is new tonight", ""]
    for fix in fixes.fixes:
        lines += _section(fix, leaks.get(fix.victim, []), patches.get(fix.victim), command)
    return "\n".join(lines)
