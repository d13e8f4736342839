"""Proven fixes for confirmed order dependence (`remediate isolation --fix`).

For each polluter module of the confirmed victim/polluter pairs, the fix is one autouse
fixture in that module restoring what its tests leave changed (see `fix_fixture`). It is
proven on a scratch copy (see `fix_proof`) before it is offered; what cannot be fixed
locally (files, database rows, a brittle test) or fails its proof is listed with why. The
result is a `FixReport` and, for the proven patches, a `CodemodPlan` that the codemod
journal applies and undoes like any other codemod.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from testing_lib.codemods import CodemodPlan, FilePlan
from testing_lib.exceptions import RunnerError
from testing_lib.isolation.fix_fixture import (
    FixtureExists,
    fixture_source,
    insert_fixture,
    restorable,
)
from testing_lib.isolation.fix_models import FixReport, PairFix
from testing_lib.isolation.fix_proof import (
    ProofSetup,
    ScratchRuns,
    prove_module_unharmed,
    prove_pair,
    scratch_copy,
)
from testing_lib.isolation.order_models import IsolationReport, PolluterPair, StateLeak
from testing_lib.isolation.orders import build_orders
from testing_lib.isolation.validator import TestIsolationValidator

logger = logging.getLogger(__name__)

CODEMOD = "isolation-fix"


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _no_fix_reason(pair: PolluterPair, leaks: Sequence[StateLeak]) -> str:
    if not leaks:
        return (
            f"{pair.polluter} leaves no state the validator tracks: make it undo what it "
            "changes, or give the victim the setup it needs"
        )
    left = "; ".join(leak.detail for leak in leaks[:3])
    return (
        f"{pair.polluter} leaves state outside the test process's memory ({left}): "
        "no fixture of its module can restore it here; clean it up in the polluter "
        "(tmp_path, isolated_db) or reset it in a fixture of the victim"
    )


def _diff(relative: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a/{relative}",
            f"b/{relative}",
        )
    )


def propose_fixes(
    report: IsolationReport,
    setup: ProofSetup,
    failing_orders: Mapping[str, Sequence[str]],
) -> tuple[FixReport, CodemodPlan]:
    """A proven fix (or why none) for every confirmed pair of `report`."""
    root = Path(report.root)
    result = FixReport(root=str(root))
    plan = CodemodPlan(root=root)
    groups: dict[str, list[PolluterPair]] = {}
    for pair in report.pairs:
        if not pair.confirmed:
            continue
        if pair.kind == "brittle":
            result.fixes.append(
                PairFix(
                    victim=pair.victim,
                    polluter=pair.polluter,
                    status="no local fix",
                    reason=(
                        f"{pair.victim} fails alone and passes only after {pair.polluter}: "
                        "move the setup it relies on into a fixture it requests"
                    ),
                )
            )
            continue
        groups.setdefault(_module(pair.polluter), []).append(pair)
    for module, pairs in groups.items():
        fixes, change = _fix_module(root, module, pairs, setup, failing_orders, report)
        result.fixes.extend(fixes)
        if change is not None:
            plan.files.append(change)
            plan.scanned += 1
    return result, plan


def _fix_module(
    root: Path,
    module: str,
    pairs: list[PolluterPair],
    setup: ProofSetup,
    failing_orders: Mapping[str, Sequence[str]],
    report: IsolationReport,
) -> tuple[list[PairFix], FilePlan | None]:
    """Patch `module` (relative to pytest's rootdir) for its pairs, and prove it."""
    relative = (Path(setup.rootdir) / module).as_posix().removeprefix("./")
    path = root / relative
    with scratch_copy(root) as copy:
        runs = ScratchRuns(copy, setup)
        if any(pair.victim not in failing_orders for pair in pairs):
            failing_orders = {**_rebuilt_orders(runs, report), **failing_orders}
        leaks: dict[str, list[StateLeak]] = {}
        for pair in pairs:
            found = pair.leaks
            if not found:
                try:
                    found = runs.leaks_of(pair.polluter, pair.victim)
                except RunnerError as exc:
                    logger.warning("Could not read what %s leaves: %s", pair.polluter, exc)
            leaks[pair.victim] = list(found)
        fixable = restorable(leak for found in leaks.values() for leak in found)
        if not fixable:
            return [
                PairFix(
                    victim=pair.victim,
                    polluter=pair.polluter,
                    status="no local fix",
                    file=relative,
                    reason=_no_fix_reason(pair, leaks[pair.victim]),
                )
                for pair in pairs
            ], None
        original = path.read_bytes()
        before = original.decode("utf-8")
        try:
            after = insert_fixture(before, fixture_source(_unique(fixable)))
        except FixtureExists as exc:
            return [
                PairFix(
                    victim=pair.victim,
                    polluter=pair.polluter,
                    status="not proven",
                    file=relative,
                    reason=f"{relative}: {exc}; review that fixture by hand",
                )
                for pair in pairs
            ], None
        try:
            module_before = runs.outcomes([module])
        except RunnerError as exc:
            module_before = {}
            logger.warning("Could not run %s before the patch: %s", module, exc)
        (copy / relative).write_bytes(after.encode("utf-8"))
        unharmed = prove_module_unharmed(runs, module, module_before)
        fixes = []
        for pair in pairs:
            proof = [
                *prove_pair(runs, pair.polluter, pair.victim, failing_orders.get(pair.victim)),
                unharmed,
            ]
            failed = [run for run in proof if not run.passed]
            fixes.append(
                PairFix(
                    victim=pair.victim,
                    polluter=pair.polluter,
                    status="not proven" if failed else "proven",
                    file=relative,
                    diff=_diff(relative, before, after),
                    restores=[leak.detail for leak in _unique(fixable)],
                    proof=proof,
                    reason="; ".join(f"{run.name}: {run.detail}" for run in failed),
                )
            )
    if any(fix.status != "proven" for fix in fixes):
        return fixes, None
    change = FilePlan(
        path=path,
        relative=relative,
        before=original,
        after=after.encode("utf-8"),
    )
    return fixes, change


def _unique(leaks: Sequence[StateLeak]) -> list[StateLeak]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    unique = []
    for leak in leaks:
        key = (leak.state, tuple(leak.subject))
        if key not in seen:
            seen.add(key)
            unique.append(leak)
    return unique


def fixes_for(
    validator: TestIsolationValidator, report: IsolationReport
) -> tuple[FixReport, CodemodPlan]:
    """Fixes for what `validator` just reported, proven the way it ran the tests."""
    setup = ProofSetup(
        python=validator.python,
        selection=report.selection,
        rootdir=report.rootdir,
        extra_args=validator.extra_args,
        env=validator.env,
        xdist=report.xdist,
        timeout_s=min(600.0, validator.timeout_s),
    )
    return propose_fixes(report, setup, validator.failing_orders)


def _rebuilt_orders(runs: ScratchRuns, report: IsolationReport) -> dict[str, Sequence[str]]:
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
