"""Proving cures: what `remediate fix` costs against running the phases once, all at once
against one at a time.

    python benchmarks/cures.py [--target examples/sick_api] [--repeat 1]

On a copy of the target (default: the bundled sick example) it measures:
- plain: each phase's selection run once by the engine's runner (what a gate costs);
- together: `propose_cures` over the four phases, proving the cures all at once first;
- one at a time: the same, each cure proven alone on top of those kept before.
Prints wall time, pytest runs on the scratch copy, the cures proven, and the ratios
together / plain and together / one at a time. Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testing_lib.config.phases import PHASE_ORDER  # noqa: E402
from testing_lib.config.target import load_target_config  # noqa: E402
from testing_lib.cures.session import propose_cures  # noqa: E402
from testing_lib.cures.workspace import workspace  # noqa: E402
from testing_lib.triage import target_facts  # noqa: E402


def _plain(root: Path) -> float:
    target = load_target_config(root)
    started = time.perf_counter()
    with workspace(target) as ws:
        for phase in PHASE_ORDER:
            ws.run(phase)
    return time.perf_counter() - started


def _cures(root: Path, together: bool) -> tuple[float, int, int]:
    target = load_target_config(root)
    facts = target_facts(target.root, target.python)
    started = time.perf_counter()
    plan = propose_cures(target, PHASE_ORDER, facts=facts, together=together)
    return time.perf_counter() - started, plan.runs, len(plan.report.proven)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=REPO / "examples" / "sick_api")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / args.target.name
        ignore = shutil.ignore_patterns(".remediation", "__pycache__", ".pytest_cache")
        shutil.copytree(args.target.resolve(), root, ignore=ignore)
        plain = [_plain(root) for _ in range(args.repeat)]
        together = [_cures(root, True) for _ in range(args.repeat)]
        alone = [_cures(root, False) for _ in range(args.repeat)]
    plain_s = statistics.median(plain)
    together_s = statistics.median(t for t, _, _ in together)
    alone_s = statistics.median(t for t, _, _ in alone)
    print(f"target: {args.target} (4 phases), median of {args.repeat}")
    print(f"plain, each phase once:  {plain_s:6.1f} s  (4 pytest runs)")
    print(
        f"cures, together first:   {together_s:6.1f} s  ({together[0][1]} pytest runs, "
        f"{together[0][2]} cures proven)"
    )
    print(
        f"cures, one at a time:    {alone_s:6.1f} s  ({alone[0][1]} pytest runs, "
        f"{alone[0][2]} cures proven)"
    )
    print(f"ratio together / plain: {together_s / plain_s:.2f}")
    print(f"ratio together / one at a time: {together_s / alone_s:.2f}")


if __name__ == "__main__":
    main()
