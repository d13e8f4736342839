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
    suites: Mapping[str, TestSuiteResult], facts: TargetFacts | None = None
) -> list[FailureGroup]:
    """The failures of each phase's run (`{phase: suite}`), grouped across phases, largest
    group first."""
    groups: dict[tuple[str, str | None], FailureGroup] = {}
    for phase, suite in suites.items():
        for failure in classified(suite):
            rule, key = failure.rule, failure.key
            group = groups.get((rule.kind, key))
            if group is None:
                group = groups[(rule.kind, key)] = FailureGroup(
                    kind=rule.kind,
                    title=rule.title,
                    key=key,
                    remediation=failure.remediation(facts),
                )
            group.members.setdefault(failure.nodeid, failure.source)
            group.messages.setdefault(failure.nodeid, failure.traceback)
            if phase not in group.phases:
                group.phases.append(phase)
    return sorted(groups.values(), key=lambda g: (-len(g.members), g.kind, g.key or ""))
