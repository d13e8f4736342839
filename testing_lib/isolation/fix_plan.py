"""Proven fixes for confirmed order dependence (`remediate isolation --fix`).

For each polluter module of the confirmed victim/polluter pairs, the fix is one autouse
fixture in that module restoring what its tests leave changed (see `fix_fixture`); when
that does not cure the pairs, its polluters run on an isolated database (see
`fix_session`); else a cleaner's reset for the victim (see `fix_by_cleaner`). A brittle
test gets its state-setter's setup as a fixture it requests. Each patch is proven on a
scratch copy (see `fix_proof`) before it is offered; what cannot be fixed locally or fails
its proof is listed with why. The result is a `FixReport` and, for the proven patches, a
`CodemodPlan` that the codemod journal applies and undoes like any other codemod.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from testing_lib.isolation.fix_import_state import fix_import_state
from testing_lib.isolation.fix_models import FixReport, PairFix
from testing_lib.isolation.fix_proof import (
    FixContext,
    ProofSetup,
    ScratchRuns,
    prove_module_unharmed,
    prove_pair,
    unified_diff,
)
from testing_lib.isolation.fix_session import NotRequestable, isolating_fixture, request_fixture
from testing_lib.isolation.order_models import IsolationReport, PolluterPair, StateLeak
from testing_lib.isolation.validation_progress import IsolationProgress
from testing_lib.isolation.validator import TestIsolationValidator
from testing_lib.results import TestStatus
from testing_lib.scratch_tree import scratch_copy

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
    progress: IsolationProgress | None = None,
    copy: Path | None = None,
) -> tuple[FixReport, CodemodPlan]:
    """A proven fix (or why none) for every confirmed pair of `report`.

    Fixes build on each other: each is made and proven on one scratch copy of the target
    holding the fixes planned before it, so two fixes of one file become one patch of it.
    A brittle test is fixed after its state-setter (as that fix left it): with it, when
    that fix takes away the state it relied on; else last. `copy`: prove them on that
    scratch copy of the target (another proof's, holding its own patches), left as found;
    else on a copy made here."""
    root = Path(report.root)
    if copy is not None:
        runs = ScratchRuns(copy, setup)
        try:
            return _propose(
                report, FixContext(root, setup, dict(failing_orders), report, runs), progress
            )
        finally:
            runs.put_back()
    with scratch_copy(root) as made:
        context = FixContext(root, setup, dict(failing_orders), report, ScratchRuns(made, setup))
        return _propose(report, context, progress)


def _propose(
    report: IsolationReport, context: FixContext, progress: IsolationProgress | None
) -> tuple[FixReport, CodemodPlan]:
    result = FixReport(root=str(context.root))
    groups: dict[str, list[PolluterPair]] = {}
    brittle: list[PolluterPair] = []
    for pair in report.pairs:
        if not pair.confirmed:
            continue
        if pair.kind == "brittle":
            brittle.append(pair)
        else:
            groups.setdefault(_module(pair.polluter), []).append(pair)
    isolating = isolating_fixture(context.root)
    handled: set[str] = set()
    progress = progress or IsolationProgress()
    progress.stage(
        "proving fixes on a scratch copy (polluter modules, brittle tests, import-time effects)",
        len(groups) + len(brittle) + len(report.import_side_effects),
    )
    for module, pairs in groups.items():
        polluters = {pair.polluter for pair in pairs}
        followers = [pair for pair in brittle if pair.polluter in polluters]
        fixes = _fix_module(context, module, pairs, isolating, followers)
        result.fixes += fixes
        handled.update(fix.victim for fix in fixes)
        progress.step()
    for pair in brittle:
        progress.step()
        if pair.victim in handled:
            continue
        fix, change = fix_with_cleaner(context, pair, _brittle_reason(pair))
        result.fixes.append(fix)
        if change is not None:
            context.plan(change)
    order = [entry.test_name for entry in report.results]  # the collected order
    for effect in report.import_side_effects:
        progress.step()
        fix, change = fix_import_state(context, effect, order)
        result.fixes.append(fix)
        if change is not None:
            context.plan(change)
    planned = context.planned
    plan = CodemodPlan(root=context.root, files=list(planned.values()), scanned=len(planned))
    return result, plan


def _brittle_reason(pair: PolluterPair) -> str:
    return (
        f"{pair.victim} fails alone and passes only after {pair.polluter}: "
        "move the setup it relies on into a fixture it requests"
    )


def _fix_module(
    context: FixContext,
    module: str,
    pairs: list[PolluterPair],
    isolating: str | None,
    followers: Sequence[PolluterPair] = (),
) -> list[PairFix]:
    """Patch `module` (relative to pytest's rootdir) for its pairs and prove it: a fixture
    restoring what its tests leave, else its polluters on an isolated database; pairs
    neither cures get their cleaner's reset, when one is found. Proven patches go into
    `context.planned`.

    `followers` are brittle tests relying on these polluters: a patch that stops a polluter
    leaving its state behind takes that state from them, so it is kept only when each of
    them gets its own setup, proven on top of it (and their fixes are returned with it)."""
    root, setup, runs = context.root, context.setup, context.runs
    relative = (Path(setup.rootdir) / module).as_posix().removeprefix("./")
    original, before = context.source(relative)
    tried: dict[str, PairFix] = {}
    leaks: dict[str, list[StateLeak]] = {}
    failing_orders = context.orders([pair.victim for pair in pairs])
    for pair in pairs:
        found = pair.leaks
        if not found:
            try:
                found = runs.leaks_of(pair.polluter, pair.victim)
            except RunnerError as exc:
                logger.warning("Could not read what %s leaves: %s", pair.polluter, exc)
        leaks[pair.victim] = list(found)
    fixable = _unique(restorable(leak for found in leaks.values() for leak in found))
    module_before: dict[str, TestStatus] | None = None
    for candidate in _candidates(before, pairs, fixable, isolating):
        if isinstance(candidate, str):
            tried = {pair.victim: _unmade(pair, relative, candidate) for pair in pairs}
            continue
        after, restores = candidate
        if module_before is None:
            try:
                module_before = runs.outcomes([module])
            except RunnerError as exc:
                module_before = {}
                logger.warning("Could not run %s before the patch: %s", module, exc)
        runs.write(relative, after)
        fixes = [
            PairFix(
                victim=pair.victim,
                polluter=pair.polluter,
                status="proven",
                file=relative,
                diff=unified_diff(relative, before, after),
                restores=restores(pair),
                proof=prove_pair(
                    runs,
                    pair.polluter,
                    pair.victim,
                    failing_orders.get(pair.victim),
                    until_failure=True,
                ),
            )
            for pair in pairs
        ]
        if all(run.passed for fix in fixes for run in fix.proof):  # else refused already
            relied = [pair.victim for pair in followers]
            unharmed = prove_module_unharmed(runs, module, module_before, relied=relied)
            for fix in fixes:
                fix.proof.append(unharmed)
        runs.write(relative, before)
        for fix in fixes:
            failed = [run for run in fix.proof if not run.passed]
            if failed:
                fix.status = "not proven"
                fix.reason = "; ".join(f"{run.name}: {run.detail}" for run in failed)
        if all(fix.status == "proven" for fix in fixes):
            patch = FilePlan(
                path=root / relative, relative=relative, before=original, after=after.encode()
            )
            kept = _with_followers(context, patch, fixes, followers)
            if kept is not None:
                return kept
        tried = {fix.victim: fix for fix in fixes}
    fixes = []
    for pair in pairs:
        reason = _no_fix_reason(pair, leaks[pair.victim])
        fix, change = fix_with_cleaner(context, pair, reason)
        if change is not None:
            context.plan(change)
        elif pair.victim in tried:  # what was tried and why it failed says more
            fix = tried[pair.victim]
        fixes.append(fix)
    return fixes


def _with_followers(
    context: FixContext, change: FilePlan, fixes: list[PairFix], followers: Sequence[PolluterPair]
) -> list[PairFix] | None:
    """Plan `change` with a proven setup for each follower; None (nothing planned, and
    `fixes` say why) when one of them is not proven."""
    saved = dict(context.planned)
    context.plan(change)
    followed = []
    for pair in followers:
        fix, follow = fix_with_cleaner(context, pair, _brittle_reason(pair))
        followed.append(fix)
        if follow is None:
            context.replan(saved)
            for kept in fixes:
                kept.status = "not proven"
                kept.reason = (
                    f"{pair.victim} relies on what it undoes, and no setup of its own is "
                    f"proven for it ({fix.reason})"
                )
            return None
        context.plan(follow)
    return [*fixes, *followed]


Candidate = tuple[str, Callable[[PolluterPair], list[str]]] | str


def _candidates(
    before: str, pairs: Sequence[PolluterPair], fixable: list[StateLeak], isolating: str | None
) -> Iterator[Candidate]:
    """Each patch to try, cheapest first: (patched source, what it undoes per pair), or why
    it could not be made."""
    if fixable:
        try:
            yield (
                insert_fixture(before, fixture_source(fixable)),
                lambda _pair: [leak.detail for leak in fixable],
            )
        except FixtureExists as exc:
            yield f"{exc}; review that fixture by hand"
    if isolating is not None:
        try:
            patched = request_fixture(before, [pair.polluter for pair in pairs], isolating)
        except NotRequestable as exc:
            yield f"its polluters cannot request {isolating}: {exc}"
            return
        yield (
            patched,
            lambda pair: [
                f"what {pair.polluter} writes through the app's database session: it now "
                f"requests {isolating}, which rolls it back after the test"
            ],
        )


def _unmade(pair: PolluterPair, relative: str, reason: str) -> PairFix:
    return PairFix(
        victim=pair.victim,
        polluter=pair.polluter,
        status="not proven",
        file=relative,
        reason=f"{relative}: {reason}",
    )


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
    return propose_fixes(report, setup, validator.failing_orders, validator.progress)
