"""The order-dependence history across nights (pure functions, no Prefect): a test found
order-dependent is new the first night, known the nights after, fixed the first night it
is not found again; and what the history file and the markdown say about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from testing_lib.isolation import (
    IsolationReport,
    IsolationTestResult,
    OrderDependentTest,
    OrderRun,
)
from testing_lib.isolation.dependence_history import (
    IsolationHistory,
    NightFindings,
    advance,
    rebuild,
)
from testing_lib.isolation.history import (
    current_tracking,
    history_dir,
    load_tracking,
    previous_reports,
    save_findings,
    save_isolation_report,
    save_tracking,
    tracking_file,
)
from testing_lib.isolation.history_rendering import findings_markdown
from testing_lib.isolation.night_events import new_findings
from testing_lib.results import CollectionError, TestStatus

VICTIM = "tests/test_b.py::test_reads_flag"
POLLUTER = "tests/test_a.py::test_sets_flag"
OTHER = "tests/test_c.py::test_other"
NIGHT_1 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def night(number: int) -> datetime:
    return NIGHT_1 + timedelta(days=number - 1)


def report(
    *dependent: OrderDependentTest,
    number: int,
    error: str | None = None,
    ran: tuple[str, ...] = (VICTIM, POLLUTER, OTHER),
    collection_errors: int = 0,
) -> IsolationReport:
    return IsolationReport(
        root="/t",
        python="python",
        seed=number,
        isolation_score=100,
        runs=[OrderRun(name="original", tests=3, passed=3, duration_s=0.1)],
        results=[
            IsolationTestResult(
                test_name=test,
                isolation_score=1,
                contamination_detected=False,
                outcomes={"original": TestStatus.PASSED},
            )
            for test in ran
        ],
        order_dependent=list(dependent),
        error=error,
        collection_errors=[
            CollectionError(nodeid=f"tests/broken_{i}.py", message="boom")
            for i in range(collection_errors)
        ],
        started_at=night(number) - timedelta(minutes=5),
        finished_at=night(number),
    )


def victim(polluter: str = POLLUTER) -> OrderDependentTest:
    return OrderDependentTest(test=VICTIM, kind="victim", polluters=[polluter])


def three_nights() -> list[tuple[IsolationHistory, NightFindings]]:
    history = IsolationHistory()
    seen = []
    for tonight in (
        report(victim(), number=1),
        report(victim(), number=2),
        report(number=3),
    ):
        history, findings = advance(history, tonight)
        seen.append((history, findings))
    return seen


def test_a_test_is_new_then_known_then_fixed() -> None:
    (h1, first), (h2, second), (h3, third) = three_nights()

    assert [e.test for e in first.new] == [VICTIM]
    assert (first.known, first.fixed, first.previous_night) == ([], [], None)
    assert h1.tests[0].first_seen == h1.tests[0].last_seen == night(1)
    assert h1.tests[0].polluters == [POLLUTER]

    assert (second.new, [e.test for e in second.known], second.fixed) == ([], [VICTIM], [])
    assert second.previous_night == night(1)
    assert (h2.tests[0].first_seen, h2.tests[0].last_seen, h2.tests[0].fixed) == (
        night(1),
        night(2),
        None,
    )

    assert (third.new, third.known, [e.test for e in third.fixed]) == ([], [], [VICTIM])
    assert (h3.tests[0].first_seen, h3.tests[0].last_seen, h3.tests[0].fixed) == (
        night(1),
        night(2),
        night(3),
    )
    assert h3.nights == 3


def test_advance_leaves_the_history_it_is_given_as_it_was() -> None:
    (h1, _), _, _ = three_nights()
    before = h1.model_dump()

    advance(h1, report(number=2))

    assert h1.model_dump() == before


def test_fixed_stays_the_first_night_it_was_not_found() -> None:
    *_, (h3, _) = three_nights()

    h4, fourth = advance(h3, report(number=4))

    assert fourth.fixed == []  # fixed on night 3, not again
    assert h4.tests[0].fixed == night(3)


def test_a_fixed_test_that_comes_back_is_known_not_new() -> None:
    *_, (h3, _) = three_nights()

    h4, fourth = advance(h3, report(victim("tests/test_d.py::test_also_sets"), number=4))

    assert fourth.new == []
    assert [e.test for e in fourth.known] == [VICTIM]
    entry = h4.tests[0]
    assert (entry.fixed, entry.returned, entry.last_seen) == (None, night(4), night(4))
    assert entry.polluters == [POLLUTER, "tests/test_d.py::test_also_sets"]
    assert "back tonight after being fixed" in findings_markdown(fourth)


def test_a_night_that_did_not_finish_fixes_nothing() -> None:
    (h1, _), *_ = three_nights()

    h2, second = advance(h1, report(number=2, error="timed out"))

    assert second.fixed == []
    assert [e.test for e in second.unchecked] == [VICTIM]
    assert h2.tests[0].fixed is None
    assert "validation did not finish tonight" in findings_markdown(second)


def test_a_test_not_run_because_a_module_failed_to_collect_is_not_fixed() -> None:
    (h1, _), *_ = three_nights()

    _, broken = advance(h1, report(number=2, ran=(POLLUTER,), collection_errors=1))
    _, ran = advance(h1, report(number=2, collection_errors=1))

    assert broken.fixed == []
    assert [e.test for e in broken.unchecked] == [VICTIM]
    assert [e.test for e in ran.fixed] == [VICTIM]  # it ran and passed in every order


def test_rebuild_replays_saved_reports_in_order() -> None:
    history = rebuild(
        [
            ("1.json", report(victim(), number=1)),
            ("2.json", report(victim(), number=2)),
            ("3.json", report(number=3)),
        ]
    )

    assert history == three_nights()[-1][0].model_copy(update={"last_report": "3.json"})


def test_the_markdown_separates_new_known_and_fixed() -> None:
    other = OrderDependentTest(test=OTHER, kind="brittle", state_setters=[POLLUTER])
    (h1, first), *_ = three_nights()
    _, second = advance(h1, report(other, number=2))

    assert "### New tonight" in findings_markdown(first)
    assert "first night recorded" in findings_markdown(first)
    text = findings_markdown(second)
    assert "- new tonight: **1**; known: 0; fixed tonight: 1" in text
    new_part, fixed_part = text.split("### New tonight")[1].split("### Fixed tonight")
    assert f"`{OTHER}` (brittle): passes only after `{POLLUTER}`" in new_part
    assert VICTIM not in new_part
    assert f"`{VICTIM}` (victim): after `{POLLUTER}`" in fixed_part
    assert "### Known" not in text


def test_the_event_payload_is_made_only_for_a_night_with_something_new() -> None:
    (_, first), (_, second), _ = three_nights()

    payload = new_findings(first, target="t", root="/t", report="/t/r.json")

    assert payload is not None
    assert (payload.new_count, payload.new[0].test, payload.new[0].polluters) == (
        1,
        VICTIM,
        [POLLUTER],
    )
    assert new_findings(second, target="t", root="/t", report=None) is None


def test_the_history_file_round_trips_and_stays_out_of_the_report_listing(
    tmp_path: Path,
) -> None:
    assert load_tracking(tmp_path) is None
    save_isolation_report(tmp_path, report(victim(), number=1))
    (h1, _), *_ = three_nights()

    saved = save_tracking(tmp_path, h1)

    assert saved == tracking_file(tmp_path)
    assert history_dir(tmp_path) in saved.parents
    assert load_tracking(tmp_path) == h1
    assert len(previous_reports(tmp_path)) == 1  # the history is not read as a report


def test_each_night_s_findings_are_saved_beside_the_history(tmp_path: Path) -> None:
    (_, first), *_ = three_nights()
    saved = save_isolation_report(tmp_path, report(victim(), number=1))

    path = save_findings(tmp_path, saved, first)

    assert path.parent == tracking_file(tmp_path).parent
    assert path.name == f"{saved.stem}.findings.json"
    assert NightFindings.model_validate_json(path.read_text()).new_tests == [VICTIM]
    assert len(previous_reports(tmp_path)) == 1


def test_without_a_history_file_it_is_rebuilt_from_the_reports(tmp_path: Path) -> None:
    for number, dependent in ((1, [victim()]), (2, [])):
        save_isolation_report(tmp_path, report(*dependent, number=number))

    history = current_tracking(tmp_path)

    assert [(e.test, e.fixed) for e in history.tests] == [(VICTIM, night(2))]
    tracking_file(tmp_path).parent.mkdir(parents=True)
    tracking_file(tmp_path).write_text("{not json", encoding="utf-8")
    assert current_tracking(tmp_path) == history
