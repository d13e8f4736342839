"""The report's findings: order-dependent tests, polluter pairs, per-test scores and advice.

Once every order has run and each suspect is classified, located and (maybe) replayed,
this turns what the runs showed into the `IsolationReport`'s entries.
"""

from __future__ import annotations

from collections.abc import Callable

from testing_lib.isolation.leaked_state import leak_advice, leaks_by_test
from testing_lib.isolation.order_models import (
    IsolationReport,
    IsolationTestResult,
    OrderDependentTest,
    OrderRun,
    PolluterPair,
    StateLeak,
)
from testing_lib.isolation.orders import TestOrder
from testing_lib.isolation.replay import replay_command
from testing_lib.isolation.suspects import FAILING, Suspect
from testing_lib.isolation.worker import ForkedRun
from testing_lib.results import TestStatus


def order_run(order: TestOrder, run: ForkedRun) -> OrderRun:
    """One order's run, summarised for the report."""
    return OrderRun(
        name=order.name,
        seed=order.seed,
        tests=len(run.outcomes),
        passed=sum(1 for o in run.outcomes.values() if o is TestStatus.PASSED),
        failed=[nodeid for nodeid in order.ids if run.outcomes.get(nodeid) in FAILING],
        duration_s=round(run.duration_s, 4),
        timed_out=run.timed_out,
    )


def fill_report(
    report: IsolationReport,
    rel: Callable[[str], str],
    ids: list[str],
    orders: list[TestOrder],
    runs: list[ForkedRun],
    suspects: list[Suspect],
    leaks: list[StateLeak],
    confirmed: dict[str, bool],
) -> None:
    """Write the order-dependent tests, their pairs and every test's result into `report`.

    `rel` makes a worker node id relative to the target root; `confirmed` holds each
    replayed pair's outcome by its victim's (or brittle test's) node id.
    """
    leaked = leaks_by_test(leaks)
    affected: dict[str, list[str]] = {}
    for suspect in suspects:
        if suspect.kind not in ("victim", "brittle"):
            if suspect.kind == "failing":
                report.consistently_failing.append(rel(suspect.test))
            continue
        culprit = suspect.located.found if suspect.located else None
        cleaners = [suspect.cleaner.found] if suspect.cleaner and suspect.cleaner.found else []
        entry = OrderDependentTest(
            test=rel(suspect.test),
            kind="victim" if suspect.kind == "victim" else "brittle",
            failing_orders=suspect.failing,
            passing_orders=suspect.passing,
            message=suspect.message,
            cleaners=[rel(c) for c in cleaners],
            note=suspect.located.note if suspect.located else None,
        )
        if culprit is not None:
            assert suspect.located is not None
            replay = replay_command(rel(culprit), rel(suspect.test))
            entry.replay = replay
            if suspect.kind == "victim":
                entry.polluters = [rel(culprit)]
            else:
                entry.state_setters = [rel(culprit)]
            affected.setdefault(culprit, []).append(rel(suspect.test))
            report.pairs.append(
                PolluterPair(
                    victim=rel(suspect.test),
                    polluter=rel(culprit),
                    kind=entry.kind,
                    replay_command=replay,
                    cleaners=entry.cleaners,
                    bisection_runs=suspect.located.runs,
                    confirmed=confirmed.get(suspect.test),
                    leaks=[
                        leak.model_copy(update={"test": rel(leak.test)})
                        for leak in leaked.get(culprit, [])
                    ],
                )
            )
        report.order_dependent.append(entry)

    by_test = {s.test: s for s in suspects}
    dependent = {s.test for s in suspects if s.kind in ("victim", "brittle")}
    for nodeid in ids:
        outcomes = {
            order.name: run.outcomes[nodeid]
            for order, run in zip(orders, runs, strict=True)
            if nodeid in run.outcomes
        }
        known = by_test.get(nodeid)
        reference = known.alone if known and known.alone else outcomes.get(orders[0].name)
        same = sum(1 for o in outcomes.values() if (o in FAILING) == (reference in FAILING))
        score = same / len(outcomes) if outcomes and reference is not None else 1.0
        own_leaks = leaked.get(nodeid, [])
        report.results.append(
            IsolationTestResult(
                test_name=rel(nodeid),
                isolation_score=round(score, 4),
                contamination_detected=bool(own_leaks) or nodeid in affected,
                affected_tests=affected.get(nodeid, []),
                recommendations=_advice(rel, known, own_leaks, affected.get(nodeid, []), leaked),
                outcomes=outcomes,
                alone=known.alone if known else None,
                kind=known.kind if known and known.kind else None,
            )
        )
    ran = len([r for r in report.results if r.outcomes])
    report.isolation_score = round(100.0 * (ran - len(dependent)) / ran, 2) if ran else 0.0


def _advice(
    rel: Callable[[str], str],
    suspect: Suspect | None,
    own_leaks: list[StateLeak],
    affected: list[str],
    leaked: dict[str, list[StateLeak]],
) -> list[str]:
    advice: list[str] = []
    culprit = suspect.located.found if suspect and suspect.located else None
    if suspect and suspect.kind == "victim":
        if culprit:
            left = "; ".join(leak.detail for leak in leaked.get(culprit, [])) or (
                "no state the validator tracks"
            )
            advice.append(
                f"passes alone, fails after {rel(culprit)} (which leaves: {left}): "
                f"replay with `{replay_command(rel(culprit), rel(suspect.test))}`; make that "
                "test undo its changes, or have this test set up the state it needs"
            )
        else:
            note = suspect.located.note if suspect.located else None
            advice.append(f"passes alone, fails in {', '.join(suspect.failing)}: {note}")
    elif suspect and suspect.kind == "brittle":
        if culprit:
            advice.append(
                f"fails alone, passes only after {rel(culprit)}: it relies on state that "
                "test creates; create it in a fixture of this test's own"
            )
        else:
            advice.append("fails alone but passes in some orders: give it its own setup")
    if affected:
        advice.append(f"decides the outcome of {', '.join(affected)}")
    advice.extend(leak_advice(own_leaks))
    return advice
