"""What isolation validation reports: per-test results, polluter pairs, leaks, the whole run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from testing_lib.results import CollectionError, TestStatus

OrderDependency = Literal["victim", "brittle"]
LeakedState = Literal[
    "env",
    "cwd",
    "threads",
    "open_files",
    "random",
    "dependency_overrides",
    "module_globals",
    "database_rows",
    "temp_files",
    "sys_path",
    "sys_modules",
    "fixture_values",
]


def _now() -> datetime:
    return datetime.now(UTC)


class StateLeak(BaseModel):
    """State a test changed and did not restore (seen from inside the pytest process)."""

    test: str
    state: LeakedState
    detail: str
    # what to restore, when known: env [KEY]; cwd [the folder before]; module_globals
    # [module, name or Class.attribute]; dependency_overrides [module, app variable];
    # sys_modules [module names]; fixture_values [fixture name]; temp_files ["+created",
    # "-removed", "~changed" paths, relative to the temp folder]
    subject: list[str] = Field(default_factory=list)


class OrderRun(BaseModel):
    """One execution of the whole selection in one order."""

    name: str  # "original", "reversed", "module-shuffle(seed=…)", "global-shuffle(seed=…)"
    seed: int | None = None
    tests: int
    passed: int
    failed: list[str] = Field(default_factory=list)  # failed or errored, in run order
    duration_s: float
    timed_out: bool = False


class PolluterPair(BaseModel):
    """Two tests whose order decides an outcome.

    kind "victim": `victim` passes alone and fails after `polluter`.
    kind "brittle": `victim` fails alone and passes after `polluter` (its state-setter).
    """

    victim: str
    polluter: str
    kind: OrderDependency
    replay_command: str
    cleaners: list[str] = Field(default_factory=list)  # tests that, run between, undo it
    bisection_runs: int  # pytest executions spent locating `polluter`
    confirmed: bool | None = None  # True: the replay reproduced it twice in new processes
    confirmation: Literal["confirmed", "flaky", "unconfirmed"] | None = None  # None: not replayed
    evidence: str | None = None  # what the replays showed
    leaks: list[StateLeak] = Field(default_factory=list)  # what `polluter` left behind


class ImportedChange(BaseModel):
    """A plain module value the test sees changed once another module is imported."""

    module: str
    name: str  # a global, or Class.attribute
    alone: str | int | float | bool | None  # as the test sees it run alone
    imported: str | int | float | bool | None = None  # with the other module imported


class ImportSideEffect(BaseModel):
    """A test that passes alone in a new pytest process and fails once `module` is imported
    with it: that module (or a helper it imports) changes state at import time."""

    victim: str
    module: str  # relative to pytest's rootdir
    replay_command: str
    evidence: str
    changed: list[ImportedChange] = Field(default_factory=list)


class OrderDependentTest(BaseModel):
    """A test whose outcome depends on which tests ran before it."""

    test: str
    kind: OrderDependency
    polluters: list[str] = Field(default_factory=list)
    state_setters: list[str] = Field(default_factory=list)
    cleaners: list[str] = Field(default_factory=list)
    replay: str | None = None
    failing_orders: list[str] = Field(default_factory=list)
    passing_orders: list[str] = Field(default_factory=list)
    message: str | None = None  # the failure message in a failing order
    note: str | None = None  # why no single polluter/state-setter was named


class IsolationTestResult(BaseModel):
    """One test's isolation result, from real runs.

    `isolation_score` is the share of the orders run in which the test's outcome was the
    one it has alone (1.0: order never mattered).
    """

    __test__ = False

    test_name: str
    isolation_score: float = Field(ge=0, le=1)
    contamination_detected: bool  # it leaked state or it is a polluter/state-setter
    affected_tests: list[str] = Field(default_factory=list)  # tests whose outcome it decides
    recommendations: list[str] = Field(default_factory=list)
    outcomes: dict[str, TestStatus] = Field(default_factory=dict)  # order name -> outcome
    alone: TestStatus | None = None  # outcome when run alone (only for suspects)
    kind: OrderDependency | Literal["failing"] | None = None


class IsolationReport(BaseModel):
    """One isolation validation of a target's selection."""

    root: str
    python: str
    selection: list[str] = Field(default_factory=list)
    seed: int
    orders_run: list[str] = Field(default_factory=list)
    runs: list[OrderRun] = Field(default_factory=list)
    tests_collected: int = 0
    collection_errors: list[CollectionError] = Field(default_factory=list)
    isolation_score: float = Field(ge=0, le=100)
    results: list[IsolationTestResult] = Field(default_factory=list)
    order_dependent: list[OrderDependentTest] = Field(default_factory=list)
    pairs: list[PolluterPair] = Field(default_factory=list)
    leaks: list[StateLeak] = Field(default_factory=list)
    consistently_failing: list[str] = Field(default_factory=list)  # fail alone and in all orders
    pytest_executions: int = 0  # every run of a test list, forked or in a new process
    processes_started: int = 0  # pytest processes started (interpreter + collection paid)
    started_at: datetime = Field(default_factory=_now)
    finished_at: datetime | None = None
    error: str | None = None  # validation could not finish (timeout, collection failed)
    rootdir: str = "."  # pytest's rootdir relative to the target: node ids and replays use it
    xdist: bool = False  # the target has pytest-xdist: replays pass -n 0
    # pairs found by bisection whose replay did not reproduce twice: not order dependence
    unconfirmed: list[PolluterPair] = Field(default_factory=list)
    # tests whose outcome depends on which modules are imported with them
    import_side_effects: list[ImportSideEffect] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def order_dependent_tests(self) -> list[str]:
        return [entry.test for entry in self.order_dependent]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def passed(self) -> bool:
        """Validation ran, every test was collected, and no outcome depended on order."""
        return (
            self.error is None
            and not self.collection_errors
            and not self.order_dependent
            and bool(self.runs)
        )
