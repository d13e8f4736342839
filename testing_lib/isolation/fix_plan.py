"""Proven fixes for confirmed order dependence (`remediate isolation --fix`).

For each polluter module of the confirmed victim/polluter pairs, the fix is one autouse
fixture in that module restoring what its tests leave changed (see `fix_fixture`). It is
proven on a scratch copy (see `fix_proof`) before it is offered; what cannot be fixed
locally or fails its proof is listed with why. A brittle test gets its state-setter's
setup as a fixture it requests (see `fix_by_cleaner`). The
result is a `FixReport` and, for the proven patches, a `CodemodPlan` that the codemod
journal applies and undoes like any other codemod.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from testing_lib.codemods import CodemodPlan, FilePlan
from testing_lib.exceptions import RunnerError
from testing_lib.isolation.fix_by_cleaner import fix_with_cleaner
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
    rebuilt_orders,
    scratch_copy,
    unified_diff,
)
from testing_lib.isolation.order_models import IsolationReport, PolluterPair, StateLeak
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
    changes: list[FilePlan] = []
    for pair in report.pairs:
        if not pair.confirmed:
            continue
        if pair.kind == "brittle":
            reason = (
                f"{pair.victim} fails alone and passes only after {pair.polluter}: "
                "move the setup it relies on into a fixture it requests"
            )
            fix, change = fix_with_cleaner(root, pair, setup, failing_orders, report, reason)
            result.fixes.append(fix)
            changes += [change] if change else []
            continue
        groups.setdefault(_module(pair.polluter), []).append(pair)
    for module, pairs in groups.items():
        fixes, module_changes = _fix_module(root, module, pairs, setup, failing_orders, report)
        result.fixes.extend(fixes)
        changes += module_changes
    for change in changes:
        if any(planned.path == change.path for planned in plan.files):
            _postpone(result, change)  # one patch per file and run: the next run adds it
            continue
        plan.files.append(change)
        plan.scanned += 1
    return result, plan


def _postpone(result: FixReport, change: FilePlan) -> None:
    for fix in result.fixes:
        if fix.file == change.relative and fix.status == "proven" and fix.diff == change.diff():
            fix.status = "not proven"
            fix.reason = (
                f"{change.relative} already gets another fix in this run: apply that one, "
                "then run --fix again"
            )


def _fix_module(
    root: Path,
    module: str,
    pairs: list[PolluterPair],
    setup: ProofSetup,
    failing_orders: Mapping[str, Sequence[str]],
    report: IsolationReport,
) -> tuple[list[PairFix], list[FilePlan]]:
    """Patch `module` (relative to pytest's rootdir) for its pairs and prove it; pairs
    whose leaks no fixture restores get their cleaner's reset, when one is found."""
    with scratch_copy(root) as copy:
        runs = ScratchRuns(copy, setup)
        if any(pair.victim not in failing_orders for pair in pairs):
            failing_orders = {**rebuilt_orders(runs, report), **failing_orders}
        leaks: dict[str, list[StateLeak]] = {}
        for pair in pairs:
            found = pair.leaks
            if not found:
                try:
                    found = runs.leaks_of(pair.polluter, pair.victim)
                except RunnerError as exc:
                    logger.warning("Could not read what %s leaves: %s", pair.polluter, exc)
            leaks[pair.victim] = list(found)
        fixable = _unique(restorable(leak for found in leaks.values() for leak in found))
        if fixable:
            fixes, change = _prove_restoring(root, runs, module, pairs, fixable, failing_orders)
            return fixes, [change] if change else []
    fixes, changes = [], []
    for pair in pairs:
        fix, change = fix_with_cleaner(
            root, pair, setup, failing_orders, report, _no_fix_reason(pair, leaks[pair.victim])
        )
        fixes.append(fix)
        changes += [change] if change else []
    return fixes, changes


def _prove_restoring(
    root: Path,
    runs: ScratchRuns,
    module: str,
    pairs: list[PolluterPair],
    fixable: list[StateLeak],
    failing_orders: Mapping[str, Sequence[str]],
) -> tuple[list[PairFix], FilePlan | None]:
    """The restoring fixture in the polluter's `module`, proven on the scratch copy."""
    relative = (Path(runs.setup.rootdir) / module).as_posix().removeprefix("./")
    path = root / relative
    original = path.read_bytes()
    before = original.decode("utf-8")
    try:
        after = insert_fixture(before, fixture_source(fixable))
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
    (runs.copy / relative).write_bytes(after.encode("utf-8"))
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
                diff=unified_diff(relative, before, after),
                restores=[leak.detail for leak in fixable],
                proof=proof,
                reason="; ".join(f"{run.name}: {run.detail}" for run in failed),
            )
        )
    if any(fix.status != "proven" for fix in fixes):
        return fixes, None
    return fixes, FilePlan(path=path, relative=relative, before=original, after=after.encode())


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
