"""A night's findings rendered for people: new tonight, known, fixed tonight (markdown)."""

from __future__ import annotations

from datetime import datetime

from testing_lib.isolation.dependence_history import NightFindings, TrackedDependence


def _day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _cause(entry: TrackedDependence) -> str:
    verb = "after" if entry.kind == "victim" else "passes only after"
    if not entry.polluters:
        return "no single cause found"
    return f"{verb} " + ", ".join(f"`{name}`" for name in entry.polluters)


def _line(entry: TrackedDependence, since: str) -> str:
    return f"- `{entry.test}` ({entry.kind}): {_cause(entry)}; {since}"


def findings_markdown(findings: NightFindings) -> str:
    """Three sections (new tonight, known, fixed tonight), plus the tests not checked."""
    previous = _day(findings.previous_night) if findings.previous_night else None
    lines = [
        "## Since the previous night" + (f" ({previous})" if previous else ""),
        "",
        f"- new tonight: **{len(findings.new)}**; known: {len(findings.known)}; "
        f"fixed tonight: {len(findings.fixed)}",
    ]
    if previous is None:
        lines.append("- first night recorded: every order-dependent test counts as new")
    if findings.new:
        lines += ["", "### New tonight", ""]
        lines += [_line(entry, "first seen tonight") for entry in findings.new]
    if findings.known:
        lines += ["", "### Known (seen before)", ""]
        for entry in findings.known:
            since = f"seen since {_day(entry.first_seen)}"
            if entry.returned == findings.night:
                since += ", back tonight after being fixed"
            elif entry.returned is not None:
                since += f", back since {_day(entry.returned)}"
            lines.append(_line(entry, since))
    if findings.fixed:
        lines += ["", "### Fixed tonight", ""]
        lines += [
            _line(entry, f"seen {_day(entry.first_seen)} to {_day(entry.last_seen)}")
            for entry in findings.fixed
        ]
    if findings.unchecked:
        reason = (
            "validation did not finish tonight"
            if not findings.conclusive
            else "not run tonight (a module failed to collect)"
        )
        lines += ["", f"### Not checked tonight ({reason})", ""]
        lines += [
            _line(entry, f"last seen {_day(entry.last_seen)}") for entry in findings.unchecked
        ]
    return "\n".join(lines) + "\n"
