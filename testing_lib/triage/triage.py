"""Failure triage: a pytest run's failures, errors and collection errors grouped by kind.

Every failing test (status failed or error) and every collection error is classified by
the rule table (`rules.RULES`) from its normalized evidence. Failures with the same kind
and key form a `TriageGroup`: how many, a few example node ids, which sources they came
from and the remediation for that kind (fitted to the target when its `TargetFacts` are
given: see `advice`). A run that ended while a test was still running
(its time limit, a crash) adds that test too, as source ``unfinished``: it has no result
of its own, and it is usually the failure that matters most.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field, computed_field

from testing_lib.failure_lines import exception_line
from testing_lib.results import TestStatus, TestSuiteResult
from testing_lib.triage.advice import Failure
from testing_lib.triage.facts import TargetFacts
from testing_lib.triage.rules import PROCESS_ENDED, RUN_TIME_LIMIT, Rule, match_rule

Source = Literal["failed", "error", "collection_error", "unfinished"]
EXAMPLES = 3

# "tests/x/test_a.py:3: " or "tests/x/test_a.py: " (a location before the exception)
_LOCATION = re.compile(r"^(?:\S+\.py|<[^>\s]+>)(?::\d+)?: ")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
# 'E   httpx.ConnectError: [Errno 111] ...': an exception line of a pytest traceback
_TRACEBACK_EXCEPTION = re.compile(r"^E\s+((?:[A-Za-z_]\w*\.)*[A-Z]\w*: .*\S)\s*$", re.MULTILINE)
# the injected per-test timeout's last words, and pytest-timeout's (thread method)
_PER_TEST_TIMEOUT = re.compile(r"\+\+\+ Timeout >(?P<limit>[\d.]+)s: |\+{3,} Timeout \+{3,}")


class TriageGroup(BaseModel):
    """Failures of one kind and key, with what fixes them."""

    kind: str
    title: str
    key: str | None = None  # the fixture, module, host:port... the failures share
    count: int = 0
    examples: list[str] = Field(default_factory=list)  # node ids, the first few
    remediation: str
    sources: dict[Source, int] = Field(default_factory=dict)
    message: str = ""  # the first failure's normalized headline


class Triage(BaseModel):
    """Every failure of a run, grouped: the largest group first, then by kind and key."""

    groups: list[TriageGroup] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)

    def counts(self) -> dict[str, int]:
        """Failures per kind, every key of a kind together."""
        totals: dict[str, int] = {}
        for group in self.groups:
            totals[group.kind] = totals.get(group.kind, 0) + group.count
        return totals


def normalize(line: str) -> str:
    """One exception line without pytest's ``E`` marker, a leading ``file:line:`` or addresses.

    Numbers stay (a port, a status code are what tells failures apart); memory addresses
    (``0x7f3a...``) differ on every run and become ``0x...``.
    """
    text = line.strip()
    if text.startswith("E ") or text == "E":
        text = text[1:].strip()
    text = _LOCATION.sub("", text, count=1)
    return _ADDRESS.sub("0x...", text).strip()


def evidence(message: str | None, traceback: str | None = None) -> str:
    """What the rules read: the headline, then the traceback's other exception lines.

    The headline is the first line of `message` (pytest's ``Type: message``); without
    one, the exception `traceback` ends with.
    """
    first = (message or "").strip().split("\n", 1)[0]
    headline = normalize(first or exception_line(traceback or ""))
    lines = [headline]
    for found in _TRACEBACK_EXCEPTION.finditer(traceback or ""):
        line = normalize(found.group(1))
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)


def classify(message: str | None, traceback: str | None = None) -> tuple[Rule, str | None]:
    """The rule one failure matches first, and its key."""
    return match_rule(evidence(message, traceback))


def _unfinished_headline(suite: TestSuiteResult) -> str | None:
    """Why the run ended while `running_test` ran; None when it is not known to have."""
    if suite.timed_out:
        return RUN_TIME_LIMIT
    if suite.session_finished is not False or suite.exit_code is None:
        return None  # finished, or stopped from outside (the engine itself was stopped)
    timeout = _PER_TEST_TIMEOUT.search(suite.stderr_tail)
    if timeout:
        limit = timeout.group("limit")
        return f"Timeout >{limit}s" if limit else "Timeout (per-test limit)"
    if suite.exit_code < 0:
        return f"{PROCESS_ENDED} (killed by signal {-suite.exit_code})"
    return f"{PROCESS_ENDED} (exit code {suite.exit_code})"


def failures(suite: TestSuiteResult) -> Iterator[tuple[Source, str, str | None, str | None]]:
    """(source, node id, message, traceback) of every failure of the run, in report order."""
    for error in suite.collection_errors:
        yield "collection_error", error.nodeid, exception_line(error.message), error.message
    for result in suite.results:
        if result.status in (TestStatus.FAILED, TestStatus.ERROR):
            source: Source = "failed" if result.status is TestStatus.FAILED else "error"
            yield source, result.test_name, result.error_message, result.error_traceback
    headline = _unfinished_headline(suite) if suite.running_test else None
    if suite.running_test and headline:
        yield "unfinished", suite.running_test, headline, None


def has_failures(suite: TestSuiteResult) -> bool:
    """Whether `triage(suite)` has any group (so the target's facts are worth gathering)."""
    return next(failures(suite), None) is not None


class Classified(NamedTuple):
    """One failure of a run, classified: where it came from, its node id and evidence, the
    rule it matched and its key."""

    source: Source
    nodeid: str
    evidence: str
    traceback: str
    rule: Rule
    key: str | None

    def remediation(self, facts: TargetFacts | None) -> str:
        """Its rule's remediation, fitted to the target when its `facts` are known."""
        failure = Failure(key=self.key, evidence=self.evidence, traceback=self.traceback)
        return self.rule.remediation_for(failure, facts)


def classified(suite: TestSuiteResult) -> Iterator[Classified]:
    """Every failure of `suite` (see `failures`) with the rule it matches and its key."""
    for source, nodeid, message, traceback in failures(suite):
        text = evidence(message, traceback)
        rule, key = match_rule(text)
        yield Classified(source, nodeid, text, traceback or message or "", rule, key)


def triage(
    suite: TestSuiteResult, examples: int = EXAMPLES, facts: TargetFacts | None = None
) -> Triage:
    """Group `suite`'s failures by (kind, key), keeping up to `examples` node ids each.

    With the target's `facts`, each group's remediation is fitted to the target (from its
    first failure); without them it is the rule's general one."""
    groups: dict[tuple[str, str | None], TriageGroup] = {}
    for failure in classified(suite):
        rule, key = failure.rule, failure.key
        group = groups.get((rule.kind, key))
        if group is None:
            group = groups[(rule.kind, key)] = TriageGroup(
                kind=rule.kind,
                title=rule.title,
                key=key,
                remediation=failure.remediation(facts),
                message=failure.evidence.split("\n", 1)[0],
            )
        group.count += 1
        group.sources[failure.source] = group.sources.get(failure.source, 0) + 1
        if len(group.examples) < examples:
            group.examples.append(failure.nodeid)
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.kind, g.key or ""))
    return Triage(groups=ordered)


def _label(group: TriageGroup) -> str:
    return f"{group.title} ({group.key})" if group.key else group.title


def render_lines(result: Triage, limit: int = 5) -> list[str]:
    """One line per group for a terminal, the `limit` largest; a last line counts the rest."""
    lines = []
    for group in result.groups[:limit]:
        more = ", ..." if group.count > len(group.examples) else ""
        shown = f"  (e.g. {', '.join(group.examples)}{more})" if group.examples else ""
        lines.append(f"{group.count} × {_label(group)} — {group.remediation}{shown}")
    hidden = result.groups[limit:]
    if hidden:
        count = sum(group.count for group in hidden)
        lines.append(f"… and {count} more failure(s) in {len(hidden)} other group(s)")
    return lines


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(result: Triage) -> str:
    """The groups as a markdown table: count, kind, key, examples, remediation."""
    if not result.groups:
        return "No failures to triage.\n"
    lines = [
        "| Count | Kind | Key | Examples | Remediation |",
        "| ---: | --- | --- | --- | --- |",
    ]
    for group in result.groups:
        key = f"`{_cell(group.key)}`" if group.key else ""
        examples = ", ".join(f"`{_cell(example)}`" for example in group.examples)
        if group.count > len(group.examples):
            examples += ", ..."
        lines.append(
            f"| {group.count} | {_cell(group.title)} (`{group.kind}`) | {key} | {examples} | "
            f"{_cell(group.remediation)} |"
        )
    return "\n".join(lines) + "\n"
