"""A pair with a cleaner and no restoring fixture: the cleaner's reset for the victim, proven;
and a brittle test: its state-setter's setup as a fixture it requests, proven.

Used when what the polluter leaves cannot be restored by a fixture of its own module
(files, rows, state the validator does not track) but the validator found a cleaner. The
victim's module gets the cleaner's body as a fixture the victim requests (`fix_cleaner`);
the patch is proven on a scratch copy like any fix (replay, victim alone, the failing
order, and the victim's module's other tests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from testing_lib.codemods import FilePlan
from testing_lib.exceptions import RunnerError
from testing_lib.isolation.fix_cleaner import NoCleanerFix, cleaner_fix
from testing_lib.isolation.fix_models import PairFix
from testing_lib.isolation.fix_proof import (
    ProofSetup,
    ScratchRuns,
    prove_module_unharmed,
    prove_pair,
    rebuilt_orders,
    scratch_copy,
    unified_diff,
)
from testing_lib.isolation.order_models import IsolationReport, PolluterPair


def _parts(nodeid: str) -> tuple[str, str]:
    """(module path, function name) of a module-level test's node id."""
    module, _, rest = nodeid.partition("::")
    return module, rest.split("[", 1)[0]


def fix_with_cleaner(
    root: Path,
    pair: PolluterPair,
    setup: ProofSetup,
    failing_orders: Mapping[str, Sequence[str]],
    report: IsolationReport,
    no_fix_reason: str,
) -> tuple[PairFix, FilePlan | None]:
    """The first of the pair's cleaners whose reset, moved into the victim's module, is
    proven; else "no local fix" with why (`no_fix_reason` when there is no cleaner)."""
    reasons = []
    brittle = pair.kind == "brittle"  # its state-setter's setup, rather than a cleaner's reset
    for cleaner in [pair.polluter] if brittle else pair.cleaners:
        try:
            return _try_cleaner(root, pair, cleaner, setup, failing_orders, report)
        except NoCleanerFix as exc:
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


def _try_cleaner(
    root: Path,
    pair: PolluterPair,
    cleaner: str,
    setup: ProofSetup,
    failing_orders: Mapping[str, Sequence[str]],
    report: IsolationReport,
) -> tuple[PairFix, FilePlan | None]:
    victim_module, victim_name = _parts(pair.victim)
    cleaner_module, cleaner_name = _parts(cleaner)
    base = Path(setup.rootdir)
    relative = (base / victim_module).as_posix().removeprefix("./")
    path = root / relative
    original = path.read_bytes()
    before = original.decode("utf-8")
    cleaner_source = (root / base / cleaner_module).read_text(encoding="utf-8")
    brittle = pair.kind == "brittle"
    after = cleaner_fix(cleaner_source, cleaner_name, before, victim_name, cleaner, setup=brittle)
    with scratch_copy(root) as copy:
        runs = ScratchRuns(copy, setup)
        orders = dict(failing_orders)
        if pair.victim not in orders:
            orders.update(rebuilt_orders(runs, report))
        try:
            module_before = runs.outcomes([victim_module])
        except RunnerError:
            module_before = {}
        (copy / relative).write_bytes(after.encode("utf-8"))
        proof = [
            *prove_pair(runs, pair.polluter, pair.victim, orders.get(pair.victim)),
            prove_module_unharmed(runs, victim_module, module_before, "victim's module"),
        ]
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
    return fix, FilePlan(path=path, relative=relative, before=original, after=after.encode())
