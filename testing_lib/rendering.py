"""Phase and run reports rendered for people: markdown summaries and failure tables."""

from __future__ import annotations

from testing_lib.report import PhaseReport, RemediationReport
from testing_lib.results import TestStatus
from testing_lib.triage import Triage, render_markdown


def _first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def failure_rows(report: PhaseReport) -> list[dict[str, str]]:
    if report.suite is None:
        return []
    rows = [
        {"test": e.nodeid, "status": "collection error", "error": _first_line(e.message)}
        for e in report.suite.collection_errors
    ]
    rows += [
        {
            "test": r.test_name,
            "status": r.status.value,
            "error": _first_line(r.error_message or r.error_traceback),
        }
        for r in report.suite.failures()
    ]
    return rows


CHECK_SOURCES = {
    "gate": "the gate's run",
    "own": "its own run",
    "deep": "deep runs",
}


def phase_markdown(report: PhaseReport, target: str) -> str:
    lines = [
        f"# {report.name}: {report.status.value}",
        "",
        f"**Target:** `{target}`  ",
        f"**Gate:** {report.reason}",
        "",
    ]
    if report.triage:
        lines += [
            "## Failures by kind",
            "",
            render_markdown(Triage(groups=report.triage)),
        ]
    if report.checks:
        lines += [
            "## Checks",
            "",
            "| check | status | judged from | details |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c.name} | {c.status.value} | {CHECK_SOURCES[c.source]} | {c.details} |"
            for c in report.checks
        ]
        lines.append("")
    if report.deep_checks_not_run:
        lines += [
            f"Deep checks not run: {', '.join(report.deep_checks_not_run)} "
            "(`remediate run --deep`, or the nightly flow).",
            "",
        ]
    suite = report.suite
    if suite is not None:
        lines += [
            "## Tests",
            "",
            "| passed | failed | errors | skipped | collected | duration |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| {suite.passed_tests} | {suite.failed_tests} | {suite.error_tests} | "
            f"{suite.skipped_tests} | {suite.collected if suite.collected is not None else '-'} | "
            f"{suite.total_execution_time_ms / 1000:.2f}s |",
            "",
        ]
        slowest = sorted(
            (r for r in suite.results if r.status is not TestStatus.SKIPPED),
            key=lambda r: r.execution_time_ms,
            reverse=True,
        )[:5]
        if slowest:
            lines += ["### Slowest tests", ""]
            lines += [f"- `{r.test_name}`: {r.execution_time_ms:.0f} ms" for r in slowest]
            lines.append("")
        rows = failure_rows(report)
        if rows:
            lines += ["### Failures", ""]
            lines += [f"- `{row['test']}` ({row['status']}): {row['error']}" for row in rows[:20]]
            if len(rows) > 20:
                lines.append(f"- … and {len(rows) - 20} more (see the failures table)")
            lines.append("")
    return "\n".join(lines)


def _bar(value: float, maximum: float, width: int = 30) -> str:
    filled = 0 if maximum <= 0 else round(width * value / maximum)
    return "█" * filled + "░" * (width - filled)


def run_chart(report: RemediationReport) -> list[str]:
    """Phase durations and pass rates as a fixed-width bar chart (renders in any markdown)."""
    ran = [p for p in report.phases if p.duration_s is not None]
    if not ran:
        return []
    longest = max(p.duration_s or 0.0 for p in ran)
    width = max(len(p.name) for p in ran)
    lines = ["## Phase durations and pass rates", "", "```"]
    for phase in ran:
        seconds = phase.duration_s or 0.0
        lines.append(f"{phase.name:<{width}}  time {_bar(seconds, longest)} {seconds:6.1f}s")
    for phase in ran:
        rate = phase.suite.gate_success_rate if phase.suite else 0.0
        lines.append(f"{phase.name:<{width}}  pass {_bar(rate, 100.0)} {rate:5.1f}%")
    lines += ["```", ""]
    return lines


def run_markdown(report: RemediationReport) -> str:
    lines = [
        f"# Remediation of `{report.target}`: {'passed' if report.passed else 'not passed'}",
        "",
        f"Run `{report.run_id}`",
        "",
        "| phase | status | passed | failed | errors | skipped | duration | reason |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for phase in report.phases:
        suite = phase.suite
        counts = (
            (suite.passed_tests, suite.failed_tests, suite.error_tests, suite.skipped_tests)
            if suite
            else ("-", "-", "-", "-")
        )
        duration = f"{phase.duration_s:.1f}s" if phase.duration_s is not None else "-"
        lines.append(
            f"| {phase.name} | {phase.status.value} | {counts[0]} | {counts[1]} | "
            f"{counts[2]} | {counts[3]} | {duration} | {phase.reason} |"
        )
    lines.append("")
    lines += run_chart(report)
    return "\n".join(lines)
