"""Failure triage: why a run's tests failed, grouped by kind, with what fixes each kind.

- `triage(suite)`: the `Triage` of a `TestSuiteResult`: its failures, errors, collection
  errors (and the test an unfinished run ended in) as `TriageGroup`s, largest first
- `triage(suite, facts=target_facts(root, python))`: the same, each remediation fitted to
  what the target has (its interpreter's async plugins, pytest configuration, declared
  dependencies, own modules); `TargetFacts` can also be built directly
- `classify(message, traceback)`: the rule one failure matches, and its key
- `render_lines(triage)` / `render_markdown(triage)`: for terminals and reports
- `RULES`: the ordered rule table (first match wins); `Rule`: one of its entries
"""

from testing_lib.triage.facts import TargetFacts, target_facts
from testing_lib.triage.rules import RULES, Rule
from testing_lib.triage.triage import (
    Triage,
    TriageGroup,
    classify,
    has_failures,
    render_lines,
    render_markdown,
    triage,
)

__all__ = [
    "RULES",
    "Rule",
    "TargetFacts",
    "Triage",
    "TriageGroup",
    "classify",
    "has_failures",
    "render_lines",
    "render_markdown",
    "target_facts",
    "triage",
]
