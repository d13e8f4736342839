"""Polluter search on a real suite: the example backend's planted victims, ours against
detect-test-pollution.

    python benchmarks/polluters_example.py --dtp PATH/TO/detect-test-pollution [--victim NAME]

The example's planted victims pass in their written order, so both tools get the order in
which each one fails: the example's 272 tests reversed, cut at the victim. Ours is the
locate step of the isolation validator (`ForkWorker` + `find_polluter`: one collection,
forked bisection runs); detect-test-pollution gets the same ids through `--testids-file`
(one pytest process per bisection step). Both run the suite with this interpreter, which
needs the example's dependencies (the engine's dev venv has them) and, for the other tool,
`pip install detect-test-pollution`. Prints wall time, runs and the ratio ours / theirs
(the target: ≤ 1/4 of its wall time, the same polluter). Run by hand.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testing_lib.isolation import ForkWorker  # noqa: E402
from testing_lib.isolation.locate import find_polluter  # noqa: E402

EXAMPLE = REPO / "examples" / "mdra_backend"
VICTIMS = (
    "test_me_without_a_token_is_unauthorized",
    "test_login_is_refused_before_registration",
    "test_searches_are_cached_under_the_documented_namespace",
)


def collected_ids(root: Path) -> list[str]:
    listing = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    return [line for line in listing.splitlines() if "::" in line]


def ours(root: Path, victim: str, before: list[str]) -> tuple[float, str | None, int]:
    start = time.perf_counter()
    with ForkWorker(root=root, python=sys.executable, jobs=2) as worker:
        if not worker.run([*before, victim]).failed(victim):
            raise SystemExit(f"{victim} does not fail after the tests before it")
        located = find_polluter(worker.run, victim, before)
        runs = worker.runs
    return time.perf_counter() - start, located.found, runs


def theirs(root: Path, dtp: str, victim: str, before: list[str]) -> tuple[float, str]:
    ids = root / "remediation-bench-ids.txt"
    ids.write_text("\n".join([*before, victim]) + "\n", encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run(
        [dtp, "--failing-test", victim, "--testids-file", str(ids)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    return time.perf_counter() - start, lines[-1] if lines else f"exit {done.returncode}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--dtp", required=True, help="the detect-test-pollution script")
    parser.add_argument("--victim", action="append", help="a planted victim's test name")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-polluters-") as scratch:
        root = Path(shutil.copytree(EXAMPLE, Path(scratch) / "mdra_backend"))
        order = list(reversed(collected_ids(root)))
        print(f"{len(order)} tests, reversed; the victim fails after the tests before it")
        for name in args.victim or VICTIMS:
            victim = next(i for i in order if i.endswith(f"::{name}"))
            before = order[: order.index(victim)]
            our_s, polluter, runs = ours(root, victim, before)
            their_s, answer = theirs(root, args.dtp, victim, before)
            print(
                f"{name} ({len(before)} candidates): ours {our_s:.1f} s in {runs} runs "
                f"-> {polluter}; detect-test-pollution {their_s:.1f} s: {answer}; "
                f"ratio {our_s / their_s:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
