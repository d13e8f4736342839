"""The report's findings: order-dependent tests, polluter pairs, per-test scores and advice.

Once every order has run and each suspect is classified, located and (maybe) replayed,
this turns what the runs showed into the `IsolationReport`'s entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from testing_lib.isolation.leak_relevance import first_import, relevant_leaks, victim_source
from testing_lib.isolation.leaked_state import leak_advice, leaks_by_test
from testing_lib.isolation.order_models import (
    ImportSideEffect,
    IsolationReport,
    IsolationTestResult,
    OrderDependentTest,
    OrderRun,
    PolluterPair,
    StateLeak,
)
from testing_lib.isolation.orders import TestOrder
from testing_lib.isolation.replay import Replayed, replay_command
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
    ids: list[str],
    orders: list[TestOrder],
    runs: list[ForkedRun],
    suspects: list[Suspect],
    leaks: list[StateLeak],
    confirmations: dict[str, Replayed],
) -> None:
    """Write the order-dependent tests, their pairs and every test's result into `report`.

    Node ids are pytest's own (relative to its rootdir, `report.rootdir`). `confirmations`
    holds each replayed pair's outcome by its victim's (or brittle test's) node id: a pair
    whose replay did not reproduce twice goes to `report.unconfirmed` and its test does not
    count as order dependent.
    """
    leaked = leaks_by_test(leaks)
    affected: dict[str, list[str]] = {}
    dependent: set[str] = set()
    for suspect in suspects:
        if suspect.kind not in ("victim", "brittle"):
            if suspect.kind == "failing":
                report.consistently_failing.append(suspect.test)
            continue
        culprit = suspect.located.found if suspect.located else None
        cleaners = [suspect.cleaner.found] if suspect.cleaner and suspect.cleaner.found else []
        entry = OrderDependentTest(
            test=suspect.test,
            kind="victim" if suspect.kind == "victim" else "brittle",
            failing_orders=suspect.failing,
            passing_orders=suspect.passing,
            message=suspect.message,
            cleaners=cleaners,
            note=suspect.located.note if suspect.located else None,
        )
        if culprit is None:
            report.order_dependent.append(entry)
            dependent.add(suspect.test)
            continue
        assert suspect.located is not None
        replay = replay_command(culprit, suspect.test, report.rootdir, xdist=report.xdist)
        replayed = confirmations.get(suspect.test)
        pair = PolluterPair(
            victim=suspect.test,
            polluter=culprit,
            kind=entry.kind,
            replay_command=replay,
            cleaners=entry.cleaners,
            bisection_runs=suspect.located.runs,
            confirmed=None if replayed is None else replayed.status == "confirmed",
            confirmation=replayed.status if replayed else None,
            evidence=replayed.evidence if replayed else None,
            leaks=relevant_leaks(
                leaked.get(culprit, []),
                victim_source(Path(report.root) / report.rootdir, suspect.test),
            ),
        )
        if replayed is not None and replayed.status != "confirmed":
            report.unconfirmed.append(pair)
            continue
        entry.replay = replay
        if suspect.kind == "victim":
            entry.polluters = [culprit]
        else:
            entry.state_setters = [culprit]
        affected.setdefault(culprit, []).append(suspect.test)
        report.pairs.append(pair)
        report.order_dependent.append(entry)
        dependent.add(suspect.test)

    by_test = {s.test: s for s in suspects}
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
        counted = known if known and known.test in dependent else None
        report.results.append(
            IsolationTestResult(
                test_name=nodeid,
                isolation_score=round(score, 4) if counted or not known else 1.0,
                contamination_detected=bool(own_leaks) or nodeid in affected,
                affected_tests=affected.get(nodeid, []),
                recommendations=_advice(
                    counted,
                    own_leaks,
                    affected.get(nodeid, []),
                    leaked,
                    report.rootdir,
                    report.xdist,
                    victim_source(Path(report.root) / report.rootdir, nodeid) if counted else "",
                ),
                outcomes=outcomes,
                alone=known.alone if known else None,
                kind=counted.kind if counted and counted.kind else None,
            )
        )
    ran = len([r for r in report.results if r.outcomes])
    report.isolation_score = round(100.0 * (ran - len(dependent)) / ran, 2) if ran else 0.0
    # first imports are state only where a pair's victim names the module
    shown = [leak for pair in report.pairs for leak in pair.leaks]
    report.leaks = [leak for leak in report.leaks if not first_import(leak) or leak in shown]


def add_import_effects(report: IsolationReport, effects: Sequence[ImportSideEffect]) -> None:
    """Count the tests that depend on which modules are imported with them (found in new
    pytest processes) as order dependent, each caused by that module's import."""
    known = set(report.order_dependent_tests)
    for effect in effects:
        report.import_side_effects.append(effect)
        if effect.victim in known:
            continue
        known.add(effect.victim)
        report.order_dependent.append(
            OrderDependentTest(
                test=effect.victim,
                kind="victim",
                polluters=[effect.module],
                replay=effect.replay_command,
                note=f"import-time side effect of {effect.module}",
            )
        )
        for result in report.results:
            if result.test_name == effect.victim and result.outcomes:
                # measured against its outcome alone in a new process: passed
                passed = [o for o in result.outcomes.values() if o not in FAILING]
                result.kind = "victim"
                result.alone = TestStatus.PASSED
                result.isolation_score = round(len(passed) / len(result.outcomes), 4)
    ran = len([r for r in report.results if r.outcomes])
    if effects and ran:
        report.isolation_score = round(100.0 * (ran - len(known)) / ran, 2)


def _advice(
    suspect: Suspect | None,
    own_leaks: list[StateLeak],
    affected: list[str],
    leaked: dict[str, list[StateLeak]],
    rootdir: str,
    xdist: bool,
    source: str = "",
) -> list[str]:
    """What to do about a test; `source` is its module's text (to rank the leaks that
    explain it)."""
    advice: list[str] = []
    culprit = suspect.located.found if suspect and suspect.located else None
    if suspect and suspect.kind == "victim":
        if culprit:
            left = "; ".join(
                leak.detail for leak in relevant_leaks(leaked.get(culprit, []), source)
            ) or ("no state the validator tracks")
            advice.append(
                f"passes alone, fails after {culprit} (which leaves: {left}): "
                f"replay with `{replay_command(culprit, suspect.test, rootdir, xdist=xdist)}`; "
                "make that "
                "test undo its changes, or have this test set up the state it needs"
            )
        else:
            note = suspect.located.note if suspect.located else None
            advice.append(f"passes alone, fails in {', '.join(suspect.failing)}: {note}")
    elif suspect and suspect.kind == "brittle":
        if culprit:
            advice.append(
                f"fails alone, passes only after {culprit}: it relies on state that "
                "test creates; create it in a fixture of this test's own"
            )
        else:
            advice.append("fails alone but passes in some orders: give it its own setup")
    if affected:
        advice.append(f"decides the outcome of {', '.join(affected)}")
    advice.extend(leak_advice(own_leaks))
    return advice


def dependent_entry(pair: PolluterPair) -> OrderDependentTest:
    """A confirmed pair of a run cut short, as the order-dependent test it shows."""
    return OrderDependentTest(
        test=pair.victim,
        kind=pair.kind,
        polluters=[pair.polluter] if pair.kind == "victim" else [],
        state_setters=[pair.polluter] if pair.kind == "brittle" else [],
        cleaners=pair.cleaners,
        replay=pair.replay_command,
    )
