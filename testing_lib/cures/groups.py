"""A run's failures grouped as the triage groups them, with every member (not a few examples).

A cure needs all of a group's node ids (the modules to rewrite, the tests that must run
after it) and each one's traceback (the import statement that failed, the paths pytest
names); the triage keeps only counts and examples. Groups of several phases merge by
(kind, key): the whole suite's run and a phase's run report the same failures.
"""

from __future__ import annotations

from collections.abc import Mapping

from testing_lib.cures.cure_models import FailureGroup
from testing_lib.results import TestSuiteResult
from testing_lib.triage import TargetFacts
from testing_lib.triage.rules import match_rule
from testing_lib.triage.triage import classified, evidence


def failure_key(message: str | None, traceback: str | None) -> tuple[str, str | None]:
    """The (kind, key) the triage gives one failure."""
    rule, key = match_rule(evidence(message, traceback))
    return rule.kind, key


def failure_groups(
    suites: Mapping[str, TestSuiteResult],
    facts: TargetFacts | None = None,
    known_victims: Mapping[str, str] | None = None,
) -> list[FailureGroup]:
    """The failures of each phase's run (`{phase: suite}`), grouped across phases, largest
    group first. `known_victims` (test -> the test it fails after, from an isolation
    report): such a test failing in a run where that test ran too is grouped by the order
    it depends on (`order_dependent_group`), not by its message."""
    groups: dict[tuple[str, str | None], FailureGroup] = {}
    for phase, suite in suites.items():
        exposed = after_their_polluter(suite, known_victims or {})
        for failure in classified(suite):
            rule, key = failure.rule, failure.key
            polluter = exposed.get(failure.nodeid)
            if polluter is not None and failure.source != "collection_error":
                kind, key = ORDER_DEPENDENT, module_of(polluter)
            else:
                kind = rule.kind
            group = groups.get((kind, key))
            if group is None:
                group = groups[(kind, key)] = (
                    order_dependent_group(key or "")
                    if kind == ORDER_DEPENDENT
                    else FailureGroup(
                        kind=rule.kind,
                        title=rule.title,
                        key=key,
                        remediation=failure.remediation(facts),
                    )
                )
            group.members.setdefault(failure.nodeid, failure.source)
            group.messages.setdefault(failure.nodeid, failure.traceback)
            if phase not in group.phases:
                group.phases.append(phase)
    return sorted(groups.values(), key=lambda g: (-len(g.members), g.kind, g.key or ""))


ORDER_DEPENDENT = "order_dependent"


def after_their_polluter(
    suite: TestSuiteResult, known_victims: Mapping[str, str]
) -> dict[str, str]:
    """The known victims (test -> the test it fails after) whose polluter ran in `suite`."""
    ran = {result.test_name for result in suite.results}
    return {victim: polluter for victim, polluter in known_victims.items() if polluter in ran}


def order_dependent_group(polluter_module: str) -> FailureGroup:
    """The group of tests that fail after a test of `polluter_module` and pass alone."""
    return FailureGroup(
        kind=ORDER_DEPENDENT,
        title="passes alone, fails after another test",
        key=polluter_module,
        remediation=(
            f"what the tests of {polluter_module} leave behind breaks these tests: undo it "
            f"after them (a fixture restoring it), or give these tests their own setup "
            f"(`remediate isolation TARGET --victim TEST` shows what it leaves)"
        ),
        by_membership=True,
    )


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]
