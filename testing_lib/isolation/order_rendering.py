"""An isolation report rendered for people (markdown, for artifacts and logs).

Tables suit Prefect artifacts; a terminal squeezes a table to its width and cuts the test
ids, so the CLI asks for lists (`tables=False`), which wrap instead.
"""

from __future__ import annotations

import math

from testing_lib.isolation.order_models import IsolationReport


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def score_text(score: float) -> str:
    """The score with one decimal, rounded down: order dependence never shows as 100.0
    (99.97 is 99.9), and a score above 0 never shows as 0.0 (0.04 is 0.04)."""
    if 0 < score < 0.1:
        return f"{score:.2f}"
    return f"{math.floor(round(score * 10, 6)) / 10:.1f}"


def isolation_markdown(report: IsolationReport, target: str, *, tables: bool = True) -> str:
    verdict = "✅ no order-dependent tests" if report.passed else "❌ order dependence found"
    if report.error:
        verdict = f"💥 {report.error}"
    lines = [
        f"# Isolation of {target}: {verdict}",
        "",
        f"- isolation score: **{score_text(report.isolation_score)}** "
        f"(share of tests whose outcome does not depend on order)",
        f"- seed: `{report.seed}` (pass it again to replay these orders)",
        *(
            [f"- pytest's rootdir: `{report.rootdir}` (node ids and replays are relative to it)"]
            if report.rootdir not in ("", ".")
            else []
        ),
        f"- orders: {', '.join(report.orders_run) or '-'}",
        f"- tests collected: {report.tests_collected}; collection errors: "
        f"{len(report.collection_errors)}",
        f"- pytest executions: {report.pytest_executions} "
        f"({report.processes_started} pytest processes started)",
    ]
    if report.duration_s is not None:
        lines.append(f"- duration: {report.duration_s:.1f} s")
    if report.order_dependent and tables:
        lines += [
            "",
            "| test | kind | caused by | cleaners | replay |",
            "| --- | --- | --- | --- | --- |",
        ]
    elif report.order_dependent:
        lines += ["", "## Order-dependent tests", ""]
    confirmed = {p.victim for p in report.pairs if p.confirmed}
    for entry in report.order_dependent:
        cause = ", ".join(f"`{c}`" for c in entry.polluters or entry.state_setters)
        cleaners = ", ".join(f"`{c}`" for c in entry.cleaners)
        kind = f"{entry.kind}, confirmed" if entry.test in confirmed else entry.kind
        if tables:
            lines.append(
                f"| `{_cell(entry.test)}` | {kind} | "
                f"{cause or _cell(entry.note or '-')} | {cleaners or '-'} | "
                f"`{_cell(entry.replay or '-')}` |"
            )
        else:
            lines.append(
                f"- `{entry.test}` ({kind}): "
                + (f"after {cause}" if cause else (entry.note or "no single cause found"))
                + (f"; cleaned by {cleaners}" if cleaners else "")
                + (f"; replay `{entry.replay}`" if entry.replay else "")
            )
    if report.unconfirmed:
        lines += [
            "",
            "## Unconfirmed (not counted as order dependence)",
            "",
            "Bisection named these pairs, but their replay in new pytest processes did not "
            "reproduce them every time:",
            "",
        ]
        lines += [
            f"- `{pair.victim}` after `{pair.polluter}` ({pair.confirmation}): "
            f"{pair.evidence}; try `{pair.replay_command}`"
            for pair in report.unconfirmed
        ]
    if report.import_side_effects:
        lines += [
            "",
            "## Import-time side effects",
            "",
            "These tests pass alone in a new pytest process and fail once another module is "
            "collected with them: importing it changes state they read.",
            "",
        ]
        lines += [
            f"- `{effect.victim}` fails after importing `{effect.module}`: replay "
            f"`{effect.replay_command}`"
            for effect in report.import_side_effects
        ]
    if report.leaks:
        lines += ["", "## State left behind", ""]
        if tables:
            lines += ["| test | state | detail |", "| --- | --- | --- |"]
        for leak in report.leaks[:100]:
            lines.append(
                f"| `{_cell(leak.test)}` | {leak.state} | {_cell(leak.detail)} |"
                if tables
                else f"- `{leak.test}` ({leak.state}): {leak.detail}"
            )
        if len(report.leaks) > 100:
            more = f"{len(report.leaks) - 100} more in the JSON report"
            lines.append(f"| … | | {more} |" if tables else f"- … {more}")
    for error in report.collection_errors:
        lines += ["", f"collection error in `{error.nodeid}`"]
    return "\n".join(lines) + "\n"
