"""Per-test overhead of the performance monitors (`--remediation-perf` and the injected one).

    python benchmarks/monitor_overhead.py [--tests 2000] [--repeat 5]

Runs a generated suite of N trivial tests four ways, each `--repeat` times (median):
plain pytest; pytest with a no-op wrapper around each test's protocol (the cost of any
per-test hook); pytest with the full monitor on (the same readings as the injected one,
one SQLite write at session end); pytest with the
engine's injected `remediation_monitor` (two clocks, two reads of /proc/self/status, SQL
and HTTP counters, JSON lines appended every 500 tests and at session end). Prints the
per-test overhead of each over plain, and each monitor's own per-test cost measured
in-process. Budget: 0.2 ms per test. Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testing_lib.performance import TestPerformanceMonitor, prepare_monitor  # noqa: E402
from testing_lib.runner.runner import INJECT_DIR  # noqa: E402
from testing_lib.runner.target_plugins import Monitor  # noqa: E402

NOOP_PLUGIN = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    return (yield)
"""


def write_suite(root: Path, tests: int) -> None:
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "bench_noop.py").write_text(NOOP_PLUGIN)
    per_module = 100
    for m in range(max(1, tests // per_module)):
        body = "\n".join(f"def test_{t}():\n    assert {t} >= 0\n" for t in range(per_module))
        (root / f"test_m{m:03d}.py").write_text(body)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(root: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one pytest run."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(
        [*command, *extra],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=900,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(root), str(INJECT_DIR)]),
            **(env or {}),
        },
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def timed_injected(root: Path) -> tuple[float, float]:
    """One run with the engine's injected monitor, as a gate loads it."""
    args, env = prepare_monitor(root / "out" / "metrics.jsonl")
    return timed(root, *args, env=env)


def in_process_cost(samples: int = 20000) -> float:
    monitor = TestPerformanceMonitor()
    start = time.perf_counter()
    for _ in range(samples):
        monitor.stop("t", monitor.start())
    return (time.perf_counter() - start) / samples * 1000


def injected_in_process_cost(root: Path, samples: int = 20000) -> float:
    """Start and stop of the injected monitor, with its JSON-lines writes amortised."""
    monitor = Monitor(str(root / "in-process.jsonl"))
    start = time.perf_counter()
    for _ in range(samples):
        monitor.stop("t", monitor.sampler.sample())
    monitor.close()
    return (time.perf_counter() - start) / samples * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-perf-"))
    try:
        write_suite(root, args.tests)
        n = (args.tests // 100) * 100
        plain, noop, monitored, injected = [], [], [], []
        for _ in range(args.repeat):  # interleaved, so drift hits all four alike
            plain.append(timed(root))
            noop.append(timed(root, "-p", "bench_noop"))
            monitored.append(timed(root, "--remediation-perf"))
            injected.append(timed_injected(root))
        base = statistics.median(r[0] for r in plain)
        base_cpu = statistics.median(r[1] for r in plain)
        print(f"{n} trivial tests, median of {args.repeat} runs each (wall; CPU = user+sys)")
        print(f"plain pytest:             {base:6.2f} s wall  {base_cpu:6.2f} s CPU")
        for name, runs in (
            ("no-op per-test wrapper", noop),
            ("--remediation-perf", monitored),
            ("-p remediation_monitor", injected),
        ):
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            print(
                f"{name + ':':25} {wall:6.2f} s wall  {cpu:6.2f} s CPU   overhead "
                f"{(wall - base) / n * 1000:+.3f} ms/test wall, "
                f"{(cpu - base_cpu) / n * 1000:+.3f} ms/test CPU"
            )
        print(f"monitor start+stop in-process: {in_process_cost():.4f} ms/test (budget 0.2)")
        print(
            "injected monitor start+stop in-process: "
            f"{injected_in_process_cost(root):.4f} ms/test (budget 0.2)"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
