"""A pair with a cleaner and no restoring fixture: the cleaner's reset for the victim, proven;
and a brittle test: its state-setter's setup as a fixture it requests, proven.

Used when what the polluter leaves cannot be restored by a fixture of its own module
(files, rows, state the validator does not track) but the validator found a cleaner. The
victim's module gets the cleaner's body as a fixture the victim requests (`fix_cleaner`);
the patch is proven on a scratch copy like any fix (replay, victim alone, the failing
order, and the victim's module's other tests). A brittle test that now sets up for itself
is also proven not to pass that state on to the tests its state-setter polluted.
"""

from __future__ import annotations

from pathlib import Path

from testing_lib.codemods import FilePlan
from testing_lib.exceptions import RunnerError
from testing_lib.isolation.fix_cleaner import NoCleanerFix, cleaner_fix
from testing_lib.isolation.fix_fixture import FixtureExists
from testing_lib.isolation.fix_models import PairFix, ProofRun
from testing_lib.isolation.fix_proof import (
    FixContext,
    ScratchRuns,
    prove_module_unharmed,
    prove_pair,
    unified_diff,
)
from testing_lib.isolation.order_models import PolluterPair
from testing_lib.results import TestStatus


def _parts(nodeid: str) -> tuple[str, str]:
    """(module path, function name) of a module-level test's node id."""
    module, _, rest = nodeid.partition("::")
    return module, rest.split("[", 1)[0]


def fix_with_cleaner(
    context: FixContext, pair: PolluterPair, no_fix_reason: str
) -> tuple[PairFix, FilePlan | None]:
    """The first of the pair's cleaners whose reset, moved into the victim's module, is
    proven; else "no local fix" with why (`no_fix_reason` when there is no cleaner)."""
    reasons = []
    brittle = pair.kind == "brittle"  # its state-setter's setup, rather than a cleaner's reset
    for cleaner in [pair.polluter] if brittle else pair.cleaners:
        try:
            return _try_cleaner(context, pair, cleaner)
        except (NoCleanerFix, FixtureExists) as exc:
            what = "setup" if brittle else "reset"
            reasons.append(f"the {what} of {cleaner} cannot move: {exc}")
    return (
        PairFix(
            victim=pair.victim,
            polluter=pair.polluter,
            status="no local fix",
            reason="; ".join([no_fix_reason, *reasons]),
        ),
        None,
    )


def _no_new_polluter(runs: ScratchRuns, context: FixContext, pair: PolluterPair) -> list[ProofRun]:
    """A brittle test that now sets up for itself must not leave that state to the tests
    its state-setter polluted: each of them still passes right after it."""
    proof = []
    for other in context.report.pairs:
        if other.kind == "brittle" or other.polluter != pair.polluter or not other.confirmed:
            continue
        ids = [pair.victim, other.victim]
        try:
            status = runs.outcomes(ids).get(other.victim)
            passed = status is TestStatus.PASSED
            detail = f"{other.victim} {status.value if status else 'reported no outcome'}"
        except RunnerError as exc:
            passed, detail = False, f"could not run: {exc}"
        proof.append(
            ProofRun(
                name="no new polluter", command=runs.command(ids), passed=passed, detail=detail
            )
        )
    return proof


def _try_cleaner(
    context: FixContext, pair: PolluterPair, cleaner: str
) -> tuple[PairFix, FilePlan | None]:
    root, setup = context.root, context.setup
    victim_module, victim_name = _parts(pair.victim)
    cleaner_module, cleaner_name = _parts(cleaner)
    base = Path(setup.rootdir)
    relative = (base / victim_module).as_posix().removeprefix("./")
    original, before = context.source(relative)
    _, cleaner_source = context.source((base / cleaner_module).as_posix().removeprefix("./"))
    brittle = pair.kind == "brittle"
    after = cleaner_fix(cleaner_source, cleaner_name, before, victim_name, cleaner, setup=brittle)
    runs = context.runs
    orders = context.orders([pair.victim])
    try:
        module_before = runs.outcomes([victim_module])
    except RunnerError:
        module_before = {}
    runs.write(relative, after)
    try:
        proof = [
            *prove_pair(runs, pair.polluter, pair.victim, orders.get(pair.victim)),
            prove_module_unharmed(runs, victim_module, module_before, "victim's module"),
            *(_no_new_polluter(runs, context, pair) if brittle else []),
        ]
    finally:
        runs.write(relative, before)  # kept only when planned
    failed = [run for run in proof if not run.passed]
    fix = PairFix(
        victim=pair.victim,
        polluter=pair.polluter,
        status="not proven" if failed else "proven",
        file=relative,
        diff=unified_diff(relative, before, after),
        restores=[
            f"the setup of {cleaner}, for {pair.victim}"
            if brittle
            else f"what {cleaner} resets, before {pair.victim}"
        ],
        proof=proof,
        reason="; ".join(f"{run.name}: {run.detail}" for run in failed),
    )
    if failed:
        return fix, None
    return fix, FilePlan(
        path=root / relative, relative=relative, before=original, after=after.encode()
    )
