"""`TestIsolationValidator`: run a suite in several orders, find and explain order dependence.

detect:   one pytest worker collects the selection once; every order (original, reversed,
          seeded module and global shuffles) runs in a child forked from that session, the
          original order with per-test state-leak tracking.
classify: each test whose outcome differs between orders (or that fails in all of them) runs
          alone: a victim passes alone, a brittle test fails alone.
locate:   bisection over the tests that ran before it in a failing (victim) or passing
          (brittle) order, ~log2(n) + 1 forked runs; then a cleaner, if any, for each pair.
confirm:  each pair's replay command (`pytest -p no:randomly FIRST SECOND`) runs in a new
          pytest process, so what is reported is what a developer will see.
Forked runs go to the worker `jobs` at a time (default: the CPUs this process may use).
"""

from __future__ import annotations

import logging
import os
import secrets
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal, TypeVar

from testing_lib.exceptions import RunnerError
from testing_lib.isolation.leaks import leak_advice, leaks_by_test
from testing_lib.isolation.locate import Located, find_cleaner, find_polluter, find_state_setter
from testing_lib.isolation.models import (
    IsolationReport,
    IsolationTestResult,
    OrderDependentTest,
    OrderRun,
    PolluterPair,
    StateLeak,
)
from testing_lib.isolation.orders import TestOrder, build_orders
from testing_lib.isolation.worker import ForkedRun, ForkWorker
from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest

logger = logging.getLogger(__name__)

_FAILING = (TestStatus.FAILED, TestStatus.ERROR)
_T = TypeVar("_T")
_R = TypeVar("_R")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS has no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def replay_command(first: str, second: str) -> str:
    return shlex.join(["pytest", "-p", "no:randomly", first, second])


@dataclass
class _Suspect:
    test: str
    failing: list[str]  # order names
    passing: list[str]
    alone: TestStatus | None = None
    kind: Literal["victim", "brittle", "failing"] | None = None
    located: Located | None = None
    cleaner: Located | None = None
    message: str | None = None
    replayed: Future[bool | None] | None = None  # the replay command in a new process


class TestIsolationValidator:
    """Validates test isolation of a target's suite by running it for real.

    `validate_isolation()` runs everything and returns an `IsolationReport`; the seed's
    `detect_state_leakage` and `measure_isolation_score` then answer from that report.
    """

    __test__ = False

    def __init__(
        self,
        root: Path,
        *,
        python: str = sys.executable,
        orders: int = 4,
        seed: int | None = None,
        timeout_s: float = 900,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
        jobs: int | None = None,
        confirm: bool = True,
        find_cleaners: bool = True,
        explain: bool = True,
        max_suspects: int = 200,
    ) -> None:
        if orders < 1:
            raise ValueError("orders must be at least 1 (the original order)")
        self.root = Path(root).resolve()
        self.python = os.fspath(python)
        self.orders = orders
        self.seed = seed if seed is not None else secrets.randbelow(2**31)
        self.timeout_s = timeout_s
        self.env = dict(env or {})
        self.extra_args = list(extra_args)
        self.jobs = jobs or default_jobs()
        self.confirm = confirm
        self.find_cleaners = find_cleaners
        self.explain = explain
        self.max_suspects = max_suspects
        self.report: IsolationReport | None = None

    # -- the seed's questions, answered from the last report -----------------------------

    def detect_state_leakage(self, test_name: str) -> bool:
        """True when `test_name` left state behind or decides another test's outcome."""
        result = self._result(test_name)
        return result is not None and result.contamination_detected

    def measure_isolation_score(self, test_name: str) -> float:
        """0.0 (outcome always depended on order) to 1.0 (never did)."""
        result = self._result(test_name)
        return 1.0 if result is None else result.isolation_score

    def _result(self, test_name: str) -> IsolationTestResult | None:
        if self.report is None:
            raise RuntimeError("call validate_isolation() first")
        return next((r for r in self.report.results if r.test_name == test_name), None)

    # -- the validation -------------------------------------------------------------------

    def validate_isolation(self, test_suite: Sequence[str] = ()) -> IsolationReport:
        """Run `test_suite` (pytest arguments; empty: the target's own testpaths) in
        `orders` orders and report every order-dependent test with its cause."""
        report = IsolationReport(
            root=str(self.root),
            python=self.python,
            selection=list(test_suite),
            seed=self.seed,
            isolation_score=0,
        )
        logger.info(
            "Isolation validation of %s with seed %d (pass seed=%d to replay its orders)",
            self.root,
            self.seed,
            self.seed,
        )
        worker = ForkWorker(
            root=self.root,
            python=self.python,
            selection=test_suite,
            extra_args=self.extra_args,
            env=self.env,
            timeout_s=self.timeout_s,
            jobs=self.jobs,
        )
        try:
            with worker:
                assert worker.info is not None
                report.processes_started = 1
                report.collection_errors = worker.info.errors
                report.tests_collected = len(worker.info.ids)
                if worker.info.ids:
                    self._validate(worker, report)
                else:
                    report.error = (
                        f"pytest collected no tests in {self.root} for selection "
                        f"{list(test_suite) or '(testpaths)'}: point the validator at tests"
                    )
        except RunnerError as exc:
            report.error = str(exc)
            logger.error("Isolation validation of %s failed: %s", self.root, exc)
        finally:
            report.pytest_executions += worker.runs
        report.finished_at = datetime.now(UTC)
        self.report = report
        logger.info(
            "Isolation of %s: score %.1f, %d order-dependent test(s), %d pytest executions "
            "(%d processes), seed %d",
            self.root,
            report.isolation_score,
            len(report.order_dependent),
            report.pytest_executions,
            report.processes_started,
            report.seed,
        )
        return report

    def _map(self, function: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
        work = list(items)
        if len(work) <= 1 or self.jobs == 1:
            return [function(item) for item in work]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            return list(pool.map(function, work))

    def _validate(self, worker: ForkWorker, report: IsolationReport) -> None:
        assert worker.info is not None
        rootdir = worker.info.rootdir
        orders = build_orders(worker.info.ids, self.orders, self.seed)
        report.orders_run = [order.name for order in orders]

        def run_order(order: TestOrder) -> ForkedRun:
            return worker.run(order.ids, leaks=self.explain and order.kind == "original")

        runs = self._map(run_order, orders)
        report.runs = [_order_run(order, run) for order, run in zip(orders, runs, strict=True)]
        leaks = runs[0].leaks if self.explain else []
        report.leaks = [
            leak.model_copy(update={"test": self._id(rootdir, leak.test)}) for leak in leaks
        ]

        suspects = self._suspects(orders, runs)
        alone_runs = self._map(lambda s: worker.run([s.test]), suspects)
        for suspect, alone in zip(suspects, alone_runs, strict=True):
            suspect.alone = alone.outcomes.get(suspect.test)
            failed_alone = alone.failed(suspect.test)
            if failed_alone and suspect.passing:
                suspect.kind = "brittle"
            elif not failed_alone:
                suspect.kind = "victim"
            else:
                suspect.kind = "failing"

        all_ids = worker.info.ids
        order_by_name = {order.name: order for order in orders}
        run_by_name = {order.name: run for order, run in zip(orders, runs, strict=True)}

        def locate(suspect: _Suspect) -> None:
            if suspect.kind == "victim":
                name = min(suspect.failing, key=lambda n: order_by_name[n].ids.index(suspect.test))
                ids = order_by_name[name].ids
                suspect.message = run_by_name[name].messages.get(suspect.test)
                before = ids[: ids.index(suspect.test)]
                suspect.located = find_polluter(worker.run, suspect.test, before)
                if self.confirm and suspect.located.found:
                    suspect.replayed = replays.submit(self._replay, rootdir, suspect)
                if self.find_cleaners and suspect.located.found:
                    suspect.cleaner = find_cleaner(
                        worker.run,
                        suspect.located.found,
                        suspect.test,
                        all_ids,
                    )
            elif suspect.kind == "brittle":
                name = min(suspect.passing, key=lambda n: order_by_name[n].ids.index(suspect.test))
                ids = order_by_name[name].ids
                before = ids[: ids.index(suspect.test)]
                failing_order = suspect.failing[0] if suspect.failing else None
                suspect.message = (
                    run_by_name[failing_order].messages.get(suspect.test) if failing_order else None
                )
                suspect.located = find_state_setter(worker.run, suspect.test, before)
                if self.confirm and suspect.located.found:
                    suspect.replayed = replays.submit(self._replay, rootdir, suspect)

        with ThreadPoolExecutor(max_workers=self.jobs) as replays:
            self._map(locate, [s for s in suspects if s.kind in ("victim", "brittle")])
            confirmed: dict[str, bool] = {}
            for suspect in suspects:
                if suspect.replayed is not None:
                    outcome = suspect.replayed.result()
                    report.pytest_executions += 1
                    report.processes_started += 1
                    if outcome is not None:
                        confirmed[suspect.test] = outcome
        self._fill(report, rootdir, worker.info.ids, orders, runs, suspects, leaks, confirmed)

    def _suspects(self, orders: list[TestOrder], runs: list[ForkedRun]) -> list[_Suspect]:
        """Tests whose outcome differs between orders, then tests that failed in every order."""
        varying: list[_Suspect] = []
        always: list[_Suspect] = []
        for nodeid in orders[0].ids:
            failing: list[str] = []
            passing: list[str] = []
            for order, run in zip(orders, runs, strict=True):
                outcome = run.outcomes.get(nodeid)
                if outcome is None:
                    continue  # not reached (the run crashed or timed out): no evidence
                (failing if outcome in _FAILING else passing).append(order.name)
            if failing and passing:
                varying.append(_Suspect(nodeid, failing, passing))
            elif failing:
                always.append(_Suspect(nodeid, failing, passing))
        if len(varying) + len(always) > self.max_suspects:
            logger.warning(
                "%d tests fail in some order; checking only the first %d (max_suspects)",
                len(varying) + len(always),
                self.max_suspects,
            )
        return (varying + always)[: self.max_suspects]

    def _id(self, rootdir: str, nodeid: str) -> str:
        """A worker node id (relative to pytest's rootdir) made relative to the target root."""
        path, sep, rest = nodeid.partition("::")
        try:
            relative = Path(rootdir, path).resolve().relative_to(self.root)
        except ValueError:
            return nodeid
        return f"{PurePosixPath(relative.as_posix())}{sep}{rest}"

    def _replay(self, rootdir: str, suspect: _Suspect) -> bool | None:
        """Run the pair's replay command in a new pytest process: did it reproduce?"""
        assert suspect.located is not None
        assert suspect.located.found is not None
        first = self._id(rootdir, suspect.located.found)
        second = self._id(rootdir, suspect.test)
        try:
            suite = run_pytest(
                cwd=self.root,
                selection=[first, second],
                python=self.python,
                suite_name="isolation-replay",
                extra_args=["-p", "no:randomly", *self.extra_args],
                timeout_s=max(30.0, min(600.0, self.timeout_s)),
                env=self.env,
            )
        except RunnerError as exc:
            logger.warning("Could not replay %s then %s: %s", first, second, exc)
            return None
        outcome = next((r.status for r in suite.results if r.test_name == second), None)
        if outcome is None:
            return None
        failed = outcome in _FAILING
        return failed if suspect.kind == "victim" else not failed

    def _fill(
        self,
        report: IsolationReport,
        rootdir: str,
        ids: list[str],
        orders: list[TestOrder],
        runs: list[ForkedRun],
        suspects: list[_Suspect],
        leaks: list[StateLeak],
        confirmed: dict[str, bool],
    ) -> None:
        def rel(nodeid: str) -> str:
            return self._id(rootdir, nodeid)

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
            same = sum(1 for o in outcomes.values() if (o in _FAILING) == (reference in _FAILING))
            score = same / len(outcomes) if outcomes and reference is not None else 1.0
            own_leaks = leaked.get(nodeid, [])
            report.results.append(
                IsolationTestResult(
                    test_name=rel(nodeid),
                    isolation_score=round(score, 4),
                    contamination_detected=bool(own_leaks) or nodeid in affected,
                    affected_tests=affected.get(nodeid, []),
                    recommendations=self._advice(
                        rel, known, own_leaks, affected.get(nodeid, []), leaked
                    ),
                    outcomes=outcomes,
                    alone=known.alone if known else None,
                    kind=known.kind if known and known.kind else None,
                )
            )
        ran = len([r for r in report.results if r.outcomes])
        report.isolation_score = round(100.0 * (ran - len(dependent)) / ran, 2) if ran else 0.0

    @staticmethod
    def _advice(
        rel: Callable[[str], str],
        suspect: _Suspect | None,
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


def _order_run(order: TestOrder, run: ForkedRun) -> OrderRun:
    return OrderRun(
        name=order.name,
        seed=order.seed,
        tests=len(run.outcomes),
        passed=sum(1 for o in run.outcomes.values() if o is TestStatus.PASSED),
        failed=[nodeid for nodeid in order.ids if run.outcomes.get(nodeid) in _FAILING],
        duration_s=round(run.duration_s, 4),
        timed_out=run.timed_out,
    )


def validate_isolation(
    *,
    root: Path,
    python: str,
    selection: Sequence[str] = (),
    orders: int = 4,
    seed: int | None = None,
    timeout_s: float = 900,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    jobs: int | None = None,
    confirm: bool = True,
    find_cleaners: bool = True,
    explain: bool = True,
) -> IsolationReport:
    """Run `selection` of the target at `root` in `orders` orders with its own interpreter
    and report order-dependent tests, their polluters or state-setters, and leaked state."""
    validator = TestIsolationValidator(
        root,
        python=python,
        orders=orders,
        seed=seed,
        timeout_s=timeout_s,
        env=env,
        extra_args=extra_args,
        jobs=jobs,
        confirm=confirm,
        find_cleaners=find_cleaners,
        explain=explain,
    )
    return validator.validate_isolation(selection)
