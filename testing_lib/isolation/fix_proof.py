"""Proof of a fix, on a scratch copy of the target: real pytest runs, before and after.

A patch is offered only when, on a copy with the patch (and the fixes planned before it)
applied, the replay
(`pytest POLLUTER VICTIM`) passes, the victim passes alone, every test of the polluter's
module that passed before still passes, and the very order in which the validator saw the
victim fail now passes it. The target itself is never written here.
"""

from __future__ import annotations

import difflib
import logging
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from testing_lib.codemods import FilePlan
from testing_lib.config.target import TargetConfig
from testing_lib.environment import test_environment_values
from testing_lib.exceptions import RunnerError
from testing_lib.isolation.fix_models import ProofRun
from testing_lib.isolation.order_models import IsolationReport, StateLeak
from testing_lib.isolation.orders import build_orders
from testing_lib.isolation.replay import replay_args
from testing_lib.isolation.suite_home import PROJECT_ROOT_ENV, suite_home
from testing_lib.isolation.worker import ForkWorker
from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest

logger = logging.getLogger(__name__)


@dataclass
class ProofSetup:
    """How the target's tests run: as the validation that found the pairs ran them."""

    python: str
    selection: Sequence[str]
    rootdir: str  # pytest's rootdir, relative to the target
    extra_args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    xdist: bool = False
    timeout_s: float = 600.0

    @classmethod
    def of_target(cls, target: TargetConfig, report: IsolationReport) -> ProofSetup:
        """How `report`'s validation of a configured target ran its tests: its isolation
        run's pytest arguments, its test environment, the final phase's time limit."""
        return cls(
            python=target.python,
            selection=report.selection,
            rootdir=report.rootdir,
            extra_args=target.isolation_run().extra_args,
            env=test_environment_values(target.testing),
            xdist=report.xdist,
            timeout_s=min(600.0, target.phase("final_validation").timeout_s),
        )


@dataclass
class FixContext:
    """What every fix of one `--fix` run shares: the target, how its tests run, the orders
    that failed, the report, the one scratch copy every fix is proven on (`runs`), and the
    patches planned so far (relative path -> plan), which that copy holds."""

    root: Path
    setup: ProofSetup
    failing_orders: dict[str, Sequence[str]]
    report: IsolationReport
    runs: ScratchRuns
    planned: dict[str, FilePlan] = field(default_factory=dict)
    rebuilt: bool = False  # the report's orders were rebuilt into failing_orders

    def orders(self, victims: Sequence[str]) -> Mapping[str, Sequence[str]]:
        """Each victim's failing order: as the validator gave them, else rebuilt from the
        report (once per run of the fixes, when a fix first needs them)."""
        if not self.rebuilt and any(victim not in self.failing_orders for victim in victims):
            self.failing_orders = {
                **rebuilt_orders(self.runs, self.report),
                **self.failing_orders,
            }
            self.rebuilt = True
        return self.failing_orders

    def source(self, relative: str) -> tuple[bytes, str]:
        """(the target's bytes, the text to patch: as the copy holds it, with the fixes
        planned so far) of a file."""
        return (self.root / relative).read_bytes(), self.runs.read(relative).decode("utf-8")

    def plan(self, change: FilePlan) -> None:
        """Keep `change`: planned, and held by the copy the next fixes are proven on."""
        self.planned[change.relative] = change
        self.runs.write(change.relative, change.after.decode("utf-8"))

    def replan(self, saved: Mapping[str, FilePlan]) -> None:
        """Back to the patches `saved` (an earlier `planned`), on the copy too."""
        for relative in set(self.planned) | set(saved):
            if relative in saved:
                self.runs.write(relative, saved[relative].after.decode("utf-8"))
            else:
                self.runs.put_back(relative)
        self.planned.clear()
        self.planned.update(saved)


class ScratchRuns:
    """Runs pytest on a scratch copy, from pytest's rootdir in it. The copy may be shared
    with other proofs (the cures'): the files a fix writes are put back by `put_back`."""

    def __init__(self, copy: Path, setup: ProofSetup) -> None:
        self.copy = copy
        self.setup = setup
        self.cwd = copy / setup.rootdir
        # outcomes of the runs made on the copy as it is now: pairs that need the same run
        # (a victim alone, the order that failed) share it; `write` drops them
        self._runs: dict[tuple[str, ...], dict[str, TestStatus]] = {}
        self._found: dict[str, bytes] = {}  # relative -> the copy's bytes before any write

    def read(self, relative: str) -> bytes:
        return (self.copy / relative).read_bytes()

    def write(self, relative: str, content: str) -> None:
        """Put `content` in the copy's file `relative` (to the target root)."""
        self._found.setdefault(relative, self.read(relative))
        (self.copy / relative).write_bytes(content.encode("utf-8"))
        self._runs.clear()

    def found(self, relative: str) -> bytes:
        """The file as the copy held it before this session wrote it."""
        return self._found[relative] if relative in self._found else self.read(relative)

    def put_back(self, relative: str | None = None) -> None:
        """The file `relative` (every file, without it) as the copy held it before."""
        for path in [relative] if relative else list(self._found):
            if path in self._found:
                (self.copy / path).write_bytes(self._found[path])
                self._runs.clear()

    def order_outcomes(self, order: Sequence[str]) -> dict[str, TestStatus]:
        """Every outcome of one run of `order` (forked from a collected session), run once
        per state of the copy."""
        key = ("forked", *order)
        if key not in self._runs:
            with self.forked() as worker:
                self._runs[key] = dict(worker.run(list(order)).outcomes)
        return self._runs[key]

    def outcomes(self, ids: Sequence[str]) -> dict[str, TestStatus]:
        """A fresh pytest process running `ids` in that order (no shuffling, no workers),
        run once per state of the copy."""
        key = ("fresh", *ids)
        if key not in self._runs:
            self._runs[key] = self._fresh(ids)
        return self._runs[key]

    def outcomes_of(self, args: Sequence[str]) -> dict[str, TestStatus]:
        """A fresh pytest process of `pytest ARGS` (options too, such as `--deselect`), run
        once per state of the copy."""
        key = ("args", *args)
        if key not in self._runs:
            self._runs[key] = self._fresh([], args)
        return self._runs[key]

    def _fresh(self, ids: Sequence[str], args: Sequence[str] = ()) -> dict[str, TestStatus]:
        suite = run_pytest(
            cwd=self.cwd,
            selection=list(ids),
            python=self.setup.python,
            suite_name="isolation-fix-proof",
            extra_args=[*self.setup.extra_args, *replay_args(xdist=self.setup.xdist), *args],
            timeout_s=self.setup.timeout_s,
            env=self.setup.env,
        )
        return {result.test_name: result.status for result in suite.results}

    def command(self, ids: Sequence[str]) -> str:
        command = shlex.join(["pytest", *replay_args(xdist=self.setup.xdist), *ids])
        prefix = self.setup.rootdir
        return command if prefix in ("", ".") else f"cd {shlex.quote(prefix)} && {command}"

    def forked(self) -> ForkWorker:
        return ForkWorker(
            root=suite_home(self.copy, self.setup.selection),
            python=self.setup.python,
            selection=self.setup.selection,
            extra_args=self.setup.extra_args,
            env={**self.setup.env, PROJECT_ROOT_ENV: str(self.copy)},
            timeout_s=self.setup.timeout_s,
            jobs=1,
        )

    def leaks_of(self, polluter: str, victim: str) -> list[StateLeak]:
        """What `polluter` leaves behind when it runs right before `victim`."""
        with self.forked() as worker:
            run = worker.run([polluter, victim], leaks=True)
        return [leak for leak in run.leaks if leak.test == polluter]


def passed_in(outcomes: Mapping[str, TestStatus], test: str) -> tuple[bool, str]:
    status = outcomes.get(test)
    if status is None:
        return False, f"{test} reported no outcome"
    return status is TestStatus.PASSED, f"{test} {status.value}"


def prove_pair(
    runs: ScratchRuns,
    polluter: str,
    victim: str,
    failing_order: Sequence[str] | None,
    *,
    until_failure: bool = False,
) -> list[ProofRun]:
    """The replay, the victim alone and the failing order, on the patched copy; with
    `until_failure`, up to the first run that fails (one failure is enough to refuse)."""
    proof = []
    for name, ids in (("replay", [polluter, victim]), ("victim alone", [victim])):
        try:
            passed, detail = passed_in(runs.outcomes(ids), victim)
        except RunnerError as exc:
            passed, detail = False, f"could not run: {exc}"
        proof.append(ProofRun(name=name, command=runs.command(ids), passed=passed, detail=detail))
        if until_failure and not passed:
            return proof
    if failing_order is None:
        proof.append(
            ProofRun(
                name="failing order",
                command="-",
                passed=False,
                detail="the order that failed is not known",
            )
        )
        return proof
    try:
        passed, detail = passed_in(runs.order_outcomes(failing_order), victim)
    except RunnerError as exc:
        passed, detail = False, f"could not run: {exc}"
    proof.append(
        ProofRun(
            name="failing order",
            command=f"the {len(failing_order)} tests in the order that failed, victim included",
            passed=passed,
            detail=detail,
        )
    )
    return proof


def prove_module_unharmed(
    runs: ScratchRuns,
    module: str,
    before: Mapping[str, TestStatus],
    name: str = "polluter's module",
    relied: Collection[str] = (),
) -> ProofRun:
    """Every test of the patched module that passed before the patch passes after it, but
    the `relied` ones: brittle tests that passed only thanks to the polluter, which get
    fixes of their own, proven on top of this one."""
    command = runs.command([module])
    try:
        after = runs.outcomes([module])
    except RunnerError as exc:
        return ProofRun(name=name, command=command, passed=False, detail=f"{exc}")
    broken = [
        test
        for test, status in before.items()
        if status is TestStatus.PASSED
        and after.get(test) is not TestStatus.PASSED
        and test not in relied
    ]
    kept = sum(1 for status in after.values() if status is TestStatus.PASSED)
    waiting = sum(1 for test in relied if after.get(test) is not TestStatus.PASSED)
    detail = f"no longer pass: {', '.join(broken[:5])}" if broken else f"{kept} passed"
    if waiting and not broken:
        detail += f"; {waiting} brittle test(s) wait for their own fix"
    return ProofRun(name=name, command=command, passed=not broken, detail=detail)


def rebuilt_orders(runs: ScratchRuns, report: IsolationReport) -> dict[str, Sequence[str]]:
    """Each victim's failing order rebuilt from the report (its seed and order count, over
    the tests pytest collects), for a report read back without its validator."""
    try:
        with runs.forked() as worker:
            assert worker.info is not None
            ids = worker.info.ids
    except RunnerError as exc:
        logger.warning("Could not collect the scratch copy to rebuild orders: %s", exc)
        return {}
    built = {
        order.name: order.ids for order in build_orders(ids, len(report.orders_run), report.seed)
    }
    found: dict[str, Sequence[str]] = {}
    for entry in report.order_dependent:
        for name in entry.failing_orders:
            if name in built:
                found[entry.test] = built[name]
                break
    return found


def unified_diff(relative: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a/{relative}",
            f"b/{relative}",
        )
    )
