"""`TestIsolationValidator`: run a suite in several orders, find and explain order dependence.

detect:   one pytest worker collects the selection once; every order (original, reversed,
          seeded module and global shuffles) runs in a child forked from that session, the
          original order with per-test state-leak tracking.
classify: each test whose outcome differs between orders (or that fails in all of them) runs
          alone: a victim passes alone, a brittle test fails alone (`suspects`).
locate:   bisection over the tests that ran before it in a failing (victim) or passing
          (brittle) order, ~log2(n) + 1 forked runs; then a cleaner, if any, for each pair.
confirm:  each pair's replay command (`pytest -p no:randomly FIRST SECOND`) runs in a new
          pytest process, so what is reported is what a developer will see (`replay`).
Forked runs go to the worker `jobs` at a time (default: the CPUs this process may use).
This module orchestrates those steps; `findings` writes what they found into the report.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from testing_lib.exceptions import RunnerError
from testing_lib.isolation.confirmation import NewProcessConfirmation
from testing_lib.isolation.findings import (
    add_import_effects,
    dependent_entry,
    fill_report,
    order_run,
)
from testing_lib.isolation.findings_journal import FindingsJournal
from testing_lib.isolation.import_effects import explain_failing_alone
from testing_lib.isolation.known_victims import locate_known_victim, resolve_victim
from testing_lib.isolation.locate import find_cleaner, find_polluter, find_state_setter
from testing_lib.isolation.order_models import (
    ImportSideEffect,
    IsolationReport,
    IsolationTestResult,
)
from testing_lib.isolation.orders import TestOrder, build_orders
from testing_lib.isolation.replay import Replayed, replay_command
from testing_lib.isolation.shared_messages import (
    polluters_by_message,
    split_by_message,
    try_known_polluter,
)
from testing_lib.isolation.suite_home import PROJECT_ROOT_ENV, suite_home
from testing_lib.isolation.suspects import Suspect, classify, find_suspects
from testing_lib.isolation.validation_progress import IsolationProgress
from testing_lib.isolation.worker import ForkedRun, ForkWorker
from testing_lib.runner.probe import probe_interpreter

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_R = TypeVar("_R")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS has no sched_getaffinity
        return max(1, os.cpu_count() or 1)


class TestIsolationValidator(NewProcessConfirmation):
    """Validates test isolation of a target's suite by running it for real.

    `validate_isolation()` runs everything and returns an `IsolationReport`;
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
        victims: Sequence[str] = (),
        findings_file: Path | None = None,
        progress: IsolationProgress | None = None,
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
        self.victims = list(victims)  # known failing tests: locate only, no detection
        # confirmed pairs, written as they are confirmed (kept when the run is cut short)
        self.journal = FindingsJournal(findings_file) if findings_file else None
        # each victim's failing order (pytest's node ids), kept for proving fixes
        self.failing_orders: dict[str, tuple[str, ...]] = {}
        self._replay_prefix = (".", False)  # pytest's rootdir (from the root), xdist
        self._ids: list[str] = []  # every collected test, in collection order
        self.progress = progress or IsolationProgress()
        self._lock = threading.Lock()
        # tests that pass alone in a new process and fail once a module is imported with them
        self.import_effects: list[ImportSideEffect] = []
        self.report: IsolationReport | None = None

    # -- per-test questions, answered from the last report -------------------------------

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
        home = suite_home(self.root, test_suite)
        if home != self.root:
            # pytest's configuration lives below the root: a developer runs the suite from
            # there (and so do the replays the report prints), so the validation does too
            logger.info("Running the suite from %s, where its pytest configuration is", home)
        worker = ForkWorker(
            root=home,
            python=self.python,
            selection=test_suite,
            extra_args=self.extra_args,
            env={**self.env, PROJECT_ROOT_ENV: str(self.root)},
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
            if self.journal is not None and not report.pairs:
                report.pairs = self.journal.read()  # what was confirmed before it stopped
                report.order_dependent = [dependent_entry(pair) for pair in report.pairs]
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
        report.rootdir = Path(os.path.relpath(rootdir, self.root)).as_posix()
        report.xdist = probe_interpreter(self.python).has_pytest_xdist
        self._replay_prefix = (report.rootdir, report.xdist)
        self._ids = list(worker.info.ids)
        if self.victims:
            self._locate_victims(worker, report)
            return
        orders = build_orders(worker.info.ids, self.orders, self.seed)
        report.orders_run = [order.name for order in orders]

        def run_order(order: TestOrder) -> ForkedRun:
            run = worker.run(order.ids, leaks=self.explain and order.kind == "original")
            self.progress.step()
            return run

        self.progress.stage(f"running the suite in {len(orders)} orders", len(orders))
        runs = self._map(run_order, orders)
        report.runs = [order_run(order, run) for order, run in zip(orders, runs, strict=True)]
        leaks = runs[0].leaks if self.explain else []
        report.leaks = list(leaks)

        suspects = find_suspects(orders, runs, self.max_suspects)
        self.progress.stage("running each order-dependent test alone", len(suspects))

        def run_alone(suspect: Suspect) -> ForkedRun:
            run = worker.run([suspect.test])
            self.progress.step()
            return run

        alone_runs = self._map(run_alone, suspects)
        for suspect, alone in zip(suspects, alone_runs, strict=True):
            classify(suspect, alone)

        all_ids = worker.info.ids
        order_by_name = {order.name: order for order in orders}
        run_by_name = {order.name: run for order, run in zip(orders, runs, strict=True)}

        def locate(suspect: Suspect) -> None:
            if suspect.kind == "victim":
                name = min(suspect.failing, key=lambda n: order_by_name[n].ids.index(suspect.test))
                ids = order_by_name[name].ids
                suspect.message = run_by_name[name].messages.get(suspect.test)
                before = ids[: ids.index(suspect.test)]
                self.failing_orders[suspect.test] = ids
                known = shared.get(victim_group(suspect))
                suspect.located = try_known_polluter(worker.run, known, suspect.test, before)
                if suspect.located is None:
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
            self.progress.step()

        dependent = [s for s in suspects if s.kind in ("victim", "brittle")]

        # victims failing with one message in one order mostly share their polluter: it is
        # bisected once, then tried first (one run) for the others
        def victim_group(suspect: Suspect) -> tuple[str, str] | None:
            if suspect.kind != "victim":
                return None
            name = min(suspect.failing, key=lambda n: order_by_name[n].ids.index(suspect.test))
            return name, run_by_name[name].messages.get(suspect.test) or ""

        first, rest = split_by_message(dependent, victim_group)
        shared: dict[Hashable, str] = {}
        with ThreadPoolExecutor(max_workers=self.jobs) as replays:
            self.progress.stage(
                "locating polluters by bisection (pairs replay in new pytest processes)",
                len(dependent),
            )
            self._map(locate, first)
            shared.update(polluters_by_message(first, victim_group))
            self._map(locate, rest)
            confirmations: dict[str, Replayed] = {}
            pending = [s for s in suspects if s.replayed is not None]
            self.progress.stage("replaying pairs in new pytest processes", len(pending))
            for suspect in pending:
                if suspect.replayed is not None:
                    replayed = suspect.replayed.result()
                    self.progress.step()
                    report.pytest_executions += replayed.runs
                    report.processes_started += replayed.runs
                    confirmations[suspect.test] = replayed
        fill_report(report, worker.info.ids, orders, runs, suspects, leaks, confirmations)
        add_import_effects(report, self.import_effects)

    def _locate_victims(self, worker: ForkWorker, report: IsolationReport) -> None:
        """Locate the polluter of each known victim; no detection in several orders."""
        assert worker.info is not None
        ids = worker.info.ids
        victims = [resolve_victim(v, ids, report.rootdir) for v in self.victims]
        self.progress.stage(f"locating the polluters of {len(victims)} given test(s)", len(victims))

        def locate(victim: str) -> tuple[TestOrder, ForkedRun, Suspect]:
            found = locate_known_victim(worker, victim, ids, report.seed)
            self.progress.step()
            return found

        located = self._map(locate, victims)
        orders = [order for order, _, _ in located]
        runs = [run for _, run, _ in located]
        suspects = [suspect for _, _, suspect in located]
        for order, _, suspect in located:
            if suspect.kind == "victim":
                self.failing_orders[suspect.test] = order.ids
            elif suspect.kind == "failing":  # alone after every import: and in a new process?
                fresh = self._fresh(worker.info.rootdir, report.xdist)
                found = explain_failing_alone(fresh, suspect.test, ids, report.rootdir)
                self.import_effects += [found] if found else []
                report.pytest_executions += fresh.started
                report.processes_started += fresh.started
        report.orders_run = [o.name for o in orders[:1]]
        confirmations: dict[str, Replayed] = {}
        if self.confirm:
            self.progress.stage("replaying pairs in new pytest processes", len(suspects))
            for suspect in suspects:
                self.progress.step()
                if suspect.located and suspect.located.found:
                    replayed = self._replay(worker.info.rootdir, suspect)
                    report.pytest_executions += replayed.runs
                    report.processes_started += replayed.runs
                    confirmations[suspect.test] = replayed
        fill_report(
            report, ids, orders[:1], runs[:1], [s for s in suspects if s.kind], [], confirmations
        )
        add_import_effects(report, self.import_effects)


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
    victims: Sequence[str] = (),
    findings_file: Path | None = None,
    progress: IsolationProgress | None = None,
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
        victims=victims,
        findings_file=findings_file,
        progress=progress,
    )
    return validator.validate_isolation(selection)


__all__ = ["TestIsolationValidator", "default_jobs", "replay_command", "validate_isolation"]
