"""The proof's verdict from two runs of a phase: the group cured, nothing lost, nothing broken."""

from __future__ import annotations

from testing_lib.cures.cure_models import FailureGroup
from testing_lib.cures.verdict import harm, judge
from testing_lib.results import CollectionError, TestResult, TestStatus, TestSuiteResult

MISSING = "E   ModuleNotFoundError: No module named 'tests.helpers'"


def suite(*results: tuple[str, TestStatus, str | None], errors: dict[str, str] | None = None):
    return TestSuiteResult(
        suite_name="phase",
        results=[
            TestResult(test_name=name, status=status, execution_time_ms=1, error_message=message)
            for name, status, message in results
        ],
        collection_errors=[
            CollectionError(nodeid=node, message=message)
            for node, message in (errors or {}).items()
        ],
    )


GROUP = FailureGroup(
    kind="missing_module",
    title="module not found",
    key="tests.helpers",
    remediation="",
    members={"tests/unit/test_prices.py": "collection_error"},
)
PASSING = ("tests/unit/test_plain.py::test_ok", TestStatus.PASSED, None)
BEFORE = suite(PASSING, errors={"tests/unit/test_prices.py": MISSING})


def test_a_cured_module_collects_and_its_tests_run() -> None:
    after = suite(PASSING, ("tests/unit/test_prices.py::test_cents", TestStatus.PASSED, None))

    verdict = judge(GROUP, BEFORE, after)

    assert verdict.cured, verdict.problems
    assert verdict.before == "1 module(s) never collected"
    assert verdict.after == "1 collected: 1 test(s) ran: 1 passed"


def test_still_failing_for_the_cause_is_not_a_cure() -> None:
    verdict = judge(GROUP, BEFORE, BEFORE)

    assert not verdict.cured
    assert "still not collected for this cause: tests/unit/test_prices.py" in verdict.problems


def test_another_cause_leaves_the_module_uncollected_and_says_which() -> None:
    other = "E   ImportError: cannot import name 'cents' from 'tests.utils.money'"
    after = suite(PASSING, errors={"tests/unit/test_prices.py": other})

    verdict = judge(GROUP, BEFORE, after)

    assert not verdict.cured
    assert "cannot import name 'cents'" in verdict.problems[0]


def test_a_test_that_passed_and_fails_after_refuses_the_cure() -> None:
    after = suite(
        ("tests/unit/test_plain.py::test_ok", TestStatus.FAILED, "AssertionError: no"),
        ("tests/unit/test_prices.py::test_cents", TestStatus.PASSED, None),
    )

    verdict = judge(GROUP, BEFORE, after)

    assert not verdict.cured
    assert verdict.problems == [
        "1 test(s) that passed now fail: tests/unit/test_plain.py::test_ok (AssertionError: no)"
    ]


def test_lost_tests_and_new_collection_errors_are_harm() -> None:
    before = suite(PASSING, ("tests/a.py::test_b", TestStatus.FAILED, "AssertionError"))
    after = suite(errors={"tests/unit/test_plain.py": "E   ImportError: boom"})

    problems = harm(before, after)

    assert problems[0].startswith("2 test(s) collected before are missing")
    assert problems[1].startswith("1 module(s) no longer collect: tests/unit/test_plain.py")
    assert harm(before, before) == []


def test_failing_tests_of_the_group_must_run_without_their_cause() -> None:
    group = FailureGroup(
        kind="async_without_plugin",
        title="async test no plugin ran",
        key=None,
        remediation="",
        members={"t.py::test_a": "failed"},
    )
    unsupported = "Failed: async def functions are not natively supported."
    before = suite(("t.py::test_a", TestStatus.FAILED, unsupported))
    after = suite(("t.py::test_a", TestStatus.FAILED, "AssertionError: assert 1 == 2"))

    verdict = judge(group, before, after)

    assert verdict.cured  # it runs now; what it checks is the test's own business
    assert verdict.after == "1 ran: 1 failed (assertion failed)"
