"""Result models: one test, one pytest run (a suite), shared by the runner, the gate and reports."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field


def _now() -> datetime:
    return datetime.now(UTC)


class TestStatus(StrEnum):
    __test__ = False  # not a pytest test class

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


class TestResult(BaseModel):
    """The outcome of one test (setup, call and teardown folded into one status)."""

    __test__ = False

    test_name: str
    status: TestStatus
    execution_time_ms: float
    error_message: str | None = None
    error_traceback: str | None = None
    performance_metrics: dict[str, Any] | None = None
    timestamp: datetime = Field(default_factory=_now)


class CollectionError(BaseModel):
    """A module (or conftest) that pytest could not collect, with pytest's own text."""

    nodeid: str
    message: str


class TestSuiteResult(BaseModel):
    """One pytest execution over a selection.

    `success_rate` is passed / total. Gates use `gate_success_rate`,
    which leaves skipped tests out: "every non-skipped test passed" is 100.
    """

    __test__ = False

    suite_name: str
    total_tests: int = 0
    passed_tests: int = 0
    failed_tests: int = 0
    skipped_tests: int = 0
    error_tests: int = 0
    total_execution_time_ms: float = 0.0
    results: list[TestResult] = Field(default_factory=list)
    timestamp: datetime = Field(default_factory=_now)

    # What the runner saw beyond per-test outcomes.
    selection: list[str] = Field(default_factory=list)
    collected: int | None = None
    collection_errors: list[CollectionError] = Field(default_factory=list)
    # modules skipped as a whole while collected (`pytest.importorskip`): no test of theirs ran
    skipped_modules: list[str] = Field(default_factory=list)
    exit_code: int | None = None
    timed_out: bool = False
    running_test: str | None = None  # the last test started without a result (timeout, kill)
    # False: pytest's session never reported its end (killed, crashed, os._exit);
    # None: not known (a suite built without the runner's events).
    session_finished: bool | None = None
    stderr_tail: str = ""
    command: list[str] = Field(default_factory=list)
    wall_time_s: float | None = None  # the pytest process, start to exit (or kill)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def success_rate(self) -> float:
        if self.total_tests == 0:
            return 0.0
        return (self.passed_tests / self.total_tests) * 100

    @computed_field  # type: ignore[prop-decorator]
    @property
    def executed_tests(self) -> int:
        return self.passed_tests + self.failed_tests + self.error_tests

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gate_success_rate(self) -> float:
        if self.executed_tests == 0:
            return 0.0
        return (self.passed_tests / self.executed_tests) * 100

    @classmethod
    def from_results(
        cls, suite_name: str, results: list[TestResult], **extra: Any
    ) -> TestSuiteResult:
        """Build a suite whose counts are derived from `results`, never typed in by hand."""
        counts = {status: 0 for status in TestStatus}
        for result in results:
            counts[result.status] += 1
        return cls(
            suite_name=suite_name,
            total_tests=len(results),
            passed_tests=counts[TestStatus.PASSED],
            failed_tests=counts[TestStatus.FAILED],
            skipped_tests=counts[TestStatus.SKIPPED],
            error_tests=counts[TestStatus.ERROR],
            total_execution_time_ms=sum(r.execution_time_ms for r in results),
            results=results,
            **extra,
        )

    def failures(self) -> list[TestResult]:
        return [r for r in self.results if r.status in (TestStatus.FAILED, TestStatus.ERROR)]
