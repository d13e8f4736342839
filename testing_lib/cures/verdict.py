"""Whether a cure did what it claims, from two pytest runs of one phase: before and after.

A cure counts only when, in the phase's run after it: the group's failures are gone (each
module that failed to collect for the group's cause now collects tests, each test that
failed for it now runs without that cause), nothing is lost (every test collected before is
collected after, and no module fails to collect that collected before) and no test that
passed before fails after. Pure functions of two `TestSuiteResult`s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from testing_lib.cures.cure_models import FailureGroup
from testing_lib.cures.groups import failure_key
from testing_lib.failure_lines import exception_line
from testing_lib.results import TestStatus, TestSuiteResult
from testing_lib.triage.rules import RULES_BY_KIND

SHOWN = 3


@dataclass
class Verdict:
    """What one phase's before/after says of a cure."""

    cured: bool
    before: str  # "1 module never collected" / "2 failed"
    after: str  # "1 module collected: 3 tests ran: 3 passed"
    problems: list[str] = field(default_factory=list)  # why it does not count


def _shown(items: Iterable[str]) -> str:
    listed = sorted(items)
    more = f" (and {len(listed) - SHOWN} more)" if len(listed) > SHOWN else ""
    return ", ".join(listed[:SHOWN]) + more


def _in_module(test: str, module: str) -> bool:
    return test == module or test.startswith(f"{module}::")


def _outcomes(tests: list[str], suite: TestSuiteResult) -> str:
    """`3 passed, 1 failed: assertion failed` for the results of `tests` in `suite`."""
    results = {r.test_name: r for r in suite.results}
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for test in tests:
        result = results.get(test)
        if result is None:
            continue
        counts[result.status.value] += 1
        if result.status in (TestStatus.FAILED, TestStatus.ERROR):
            kind, _ = failure_key(result.error_message, result.error_traceback)
            kinds[RULES_BY_KIND[kind].title] += 1
    parts = [f"{n} {status}" for status, n in sorted(counts.items(), key=lambda i: -i[1])]
    text = ", ".join(parts) or "none ran"
    return text + (f" ({_shown(kinds)})" if kinds else "")


def _same_cause(group: FailureGroup, message: str | None, traceback: str | None) -> bool:
    return failure_key(message, traceback) == (group.kind, group.key)


def members_in(group: FailureGroup, suite: TestSuiteResult) -> tuple[list[str], list[str]]:
    """(modules, tests) of `suite` that fail for `group`'s cause."""
    if group.by_membership:
        failing = (TestStatus.FAILED, TestStatus.ERROR)
        return [], [
            r.test_name
            for r in suite.results
            if r.test_name in group.members and r.status in failing
        ]
    modules = [
        error.nodeid
        for error in suite.collection_errors
        if _same_cause(group, exception_line(error.message), error.message)
    ]
    tests = [
        r.test_name
        for r in suite.results
        if r.status in (TestStatus.FAILED, TestStatus.ERROR)
        and _same_cause(group, r.error_message, r.error_traceback)
    ]
    return modules, tests


def _msg(suite: TestSuiteResult, nodeid: str) -> str:
    return next((e.message for e in suite.collection_errors if e.nodeid == nodeid), "")


def harm(before: TestSuiteResult, after: TestSuiteResult) -> list[str]:
    """What `after` lost or broke against `before` (empty: nothing)."""
    problems = []
    collected_after = {r.test_name for r in after.results}
    lost = [r.test_name for r in before.results if r.test_name not in collected_after]
    if lost:
        problems.append(f"{len(lost)} test(s) collected before are missing: {_shown(lost)}")
    errored_before = {e.nodeid for e in before.collection_errors}
    new_errors = [e.nodeid for e in after.collection_errors if e.nodeid not in errored_before]
    if new_errors:
        problems.append(
            f"{len(new_errors)} module(s) no longer collect: {_shown(new_errors)} "
            f"({_first_line(after, new_errors[0])})"
        )
    status_after = {r.test_name: r for r in after.results}
    broken = [
        r.test_name
        for r in before.results
        if r.status is TestStatus.PASSED
        and r.test_name in status_after
        and status_after[r.test_name].status in (TestStatus.FAILED, TestStatus.ERROR)
    ]
    if broken:
        first = status_after[broken[0]]
        why = (first.error_message or "").strip().splitlines()[:1]
        problems.append(
            f"{len(broken)} test(s) that passed now fail: {_shown(broken)}"
            + (f" ({why[0]})" if why else "")
        )
    if after.timed_out and not before.timed_out:
        problems.append("the run hit its time limit, which it did not before")
    return problems


def _first_line(suite: TestSuiteResult, nodeid: str) -> str:
    """The exception a module's collection error ends with (as the triage reads it)."""
    return exception_line(_msg(suite, nodeid)) or "?"


def judge(group: FailureGroup, before: TestSuiteResult, after: TestSuiteResult) -> Verdict:
    """The verdict of one phase's runs on a cure of `group`."""
    modules, tests = members_in(group, before)
    still_modules, still_tests = members_in(group, after)
    problems = []
    ran_from: list[str] = []
    uncollected = []
    skipped = [m for m in modules if m in after.skipped_modules and m not in still_modules]
    for module in modules:
        collected = [r.test_name for r in after.results if _in_module(r.test_name, module)]
        if module in still_modules or module in skipped:
            continue
        if not collected:
            uncollected.append(module)
        ran_from += collected
    if still_modules:
        problems.append(f"still not collected for this cause: {_shown(still_modules)}")
    if uncollected:
        why = "; ".join(
            f"{m}: {_first_line(after, m)}" for m in uncollected[:SHOWN] if _msg(after, m)
        )
        problems.append(
            f"collect no test now: {_shown(uncollected)}" + (f" ({why})" if why else "")
        )
    still = [t for t in tests if t in still_tests]
    if still and group.by_membership:  # its cause is its members': say how they fail now
        first = next(r for r in after.results if r.test_name == still[0])
        shown = (first.error_message or "").strip().splitlines()[:1]
        problems.append(
            f"{len(still)} test(s) still fail with it: {_shown(still)}"
            + (f" ({shown[0]})" if shown else "")
        )
    elif still:
        problems.append(f"{len(still)} test(s) still fail for this cause: {_shown(still)}")
    problems += harm(before, after)
    before_parts = []
    if modules:
        before_parts.append(f"{len(modules)} module(s) never collected")
    if tests:
        before_parts.append(f"{len(tests)} test(s) failed: {group.title}")
    after_parts = []
    if modules:
        collected_now = len(modules) - len(still_modules) - len(uncollected) - len(skipped)
        if collected_now or not skipped:
            after_parts.append(
                f"{collected_now} collected: "
                f"{len(ran_from)} test(s) ran: {_outcomes(ran_from, after)}"
            )
        if skipped:
            after_parts.append(f"{len(skipped)} skipped as a whole while collected")
    if tests:
        after_parts.append(f"{len(tests)} ran: {_outcomes(tests, after)}")
    if not modules and not tests:
        problems.append("the group's failures are not in this phase's run")
    return Verdict(
        cured=not problems,
        before="; ".join(before_parts) or "no failure of this group",
        after="; ".join(after_parts) or "-",
        problems=problems,
    )
