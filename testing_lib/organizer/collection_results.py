"""What collecting one module yields: its tests, notes, and problems found on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from testing_lib.organizer.function_fingerprint import Fingerprint


@dataclass
class CollectedTest:
    qualname: str  # "test_x", "TestA::test_y", "TestA::TestB::test_z"
    line: int
    multiplier: int  # parametrize cases (1 when not parametrized)
    exact: bool
    fixtures: tuple[str, ...]  # fixture names it requests (args, usefixtures)
    fingerprint: Fingerprint | None
    note: str | None = None


@dataclass
class RuleProblem:
    kind: str  # a ProblemKind value
    line: int
    message: str
    breaks_collection: bool = False


@dataclass
class ModuleTests:
    tests: list[CollectedTest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[RuleProblem] = field(default_factory=list)
    fixture_test_names: list[str] = field(default_factory=list)
