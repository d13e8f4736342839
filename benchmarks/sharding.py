"""A sharded pytest gate against an unsharded one, on a generated 2,000-test suite.

    python benchmarks/sharding.py [--tests 2000] [--repeat 3] [--shards 2]

Generates a target whose foundation selection holds `--tests` tests (each ≈2 ms of CPU
and ≈3 ms of waiting, like a small integration test), runs the real `run-phase` flow once
to record durations, then alternates unsharded and sharded runs. Prints the median wall
times, the speed-up, and whether the merged results equal the unsharded ones. Run by hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TEST_BODY = """
def test_{i}():
    deadline = time.perf_counter() + 0.002
    while time.perf_counter() < deadline:
        pass
    time.sleep(0.003)
    assert {i} % 997 != 996
"""


def generate(root: Path, count: int, per_file: int = 50) -> None:
    (root / "tests" / "unit").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.remediation]\n", encoding="utf-8")
    for start in range(0, count, per_file):
        body = "import time\n" + "".join(
            TEST_BODY.format(i=i) for i in range(start, min(start + per_file, count))
        )
        (root / "tests" / "unit" / f"test_gen_{start // per_file:03d}.py").write_text(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shards", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-shard-") as scratch:
        os.environ.setdefault("PREFECT_HOME", str(Path(scratch) / "prefect"))
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        from flows.outcomes import phase_report_of
        from flows.phase import run_phase

        root = Path(scratch) / "target"
        generate(root, args.tests)

        def timed(shards: int) -> tuple[float, set[tuple[str, str]]]:
            start = time.perf_counter()
            state = run_phase(
                target=str(root), phase="foundation", shards=shards, return_state=True
            )
            elapsed = time.perf_counter() - start
            report = phase_report_of(state.result(raise_on_failure=False))
            assert report is not None, state.message
            assert report.suite is not None, report.reason
            return elapsed, {(r.test_name, r.status.value) for r in report.suite.results}

        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            timed(1)  # start the embedded API and record durations for balancing
            single, sharded, identical = [], [], True
            for _ in range(args.repeat):
                wall, baseline = timed(1)
                single.append(wall)
                wall, merged = timed(args.shards)
                sharded.append(wall)
                identical &= merged == baseline and len(merged) == args.tests

    one, many = statistics.median(single), statistics.median(sharded)
    print(f"{args.tests} tests, {os.cpu_count()} cores, median of {args.repeat}")
    print(f"1 shard : {one:6.2f} s")
    print(f"{args.shards} shards: {many:6.2f} s")
    print(f"speed-up: {one / many:.2f}x   merged results identical: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
