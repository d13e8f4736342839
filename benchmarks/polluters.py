"""Polluter search against detect-test-pollution, on generated suites with a planted pair.

    python benchmarks/polluters.py [--sizes 200 2000] [--dtp-python PATH] [--repeat 1]

For each size it writes a suite of N trivial tests in N/20 modules, with a polluter (sets
an environment variable) early on and its victim in the last module, then measures:
- ours, locate: `ForkWorker` + `find_polluter` given the victim (what detect-test-pollution
  does with --failing-test): worker start-up, one collection, forked bisection runs;
- ours, full: `validate_isolation(orders=2)` finds the victim itself (original and reversed
  orders), classifies it, bisects, looks for a cleaner and confirms the replay command in a
  new pytest process (also timed with confirm=False: no second process);
- detect-test-pollution --failing-test VICTIM --tests tests (one pytest process per step),
  when its interpreter is given (`--dtp-python`, a venv with detect-test-pollution and
  pytest). Both run the target with that same interpreter.
Prints wall time, pytest executions, processes, and the ratio to detect-test-pollution.
Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testing_lib.isolation import ForkWorker, validate_isolation  # noqa: E402
from testing_lib.isolation.locate import find_polluter  # noqa: E402

PER_MODULE = 20


def write_suite(root: Path, size: int) -> tuple[str, str]:
    """N tests; returns (polluter, victim) node ids."""
    tests = root / "tests"
    tests.mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    modules = max(2, size // PER_MODULE)
    polluter_module = modules // 3
    for m in range(modules):
        lines = ["import os", ""]
        for t in range(PER_MODULE):
            if m == polluter_module and t == 7:
                lines += ["def test_polluter():", '    os.environ["BENCH_POLLUTED"] = "1"', ""]
            elif m == modules - 1 and t == PER_MODULE - 1:
                lines += ["def test_victim():", '    assert "BENCH_POLLUTED" not in os.environ', ""]
            else:
                lines += [f"def test_t{t}():", f"    assert {t} + 1 > {t}", ""]
        (tests / f"test_m{m:04d}.py").write_text("\n".join(lines))
    return (
        f"tests/test_m{polluter_module:04d}.py::test_polluter",
        f"tests/test_m{modules - 1:04d}.py::test_victim",
    )


def ours_locate(root: Path, python: str, victim: str) -> tuple[float, str | None, int]:
    start = time.perf_counter()
    with ForkWorker(root=root, python=python, jobs=2) as worker:
        assert worker.info is not None
        ids = worker.info.ids
        alone_passes = not worker.run([victim]).failed(victim)
        before = ids[: ids.index(victim)]
        assert alone_passes, "the victim must pass alone"
        assert worker.run([*before, victim]).failed(victim), "the victim must fail after them"
        located = find_polluter(worker.run, victim, before)
        runs = worker.runs
    return time.perf_counter() - start, located.found, runs


def ours_full(root: Path, python: str, confirm: bool = True) -> tuple[float, str | None, int, int]:
    start = time.perf_counter()
    report = validate_isolation(root=root, python=python, orders=2, seed=1, confirm=confirm)
    elapsed = time.perf_counter() - start
    polluter = report.pairs[0].polluter if report.pairs else None
    return elapsed, polluter, report.pytest_executions, report.processes_started


def dtp(root: Path, dtp_python: str, victim: str) -> tuple[float, str | None, int]:
    start = time.perf_counter()
    completed = subprocess.run(
        # its console script: `python -m detect_test_pollution` would load `-p __main__`
        [
            str(Path(dtp_python).parent / "detect-test-pollution"),
            "--failing-test",
            victim,
            "--tests",
            "tests",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    elapsed = time.perf_counter() - start
    found = None
    steps = 0
    for line in completed.stdout.splitlines():
        if "the polluting test is:" in line:
            found = line.split("the polluting test is: ", 1)[1].strip()
        if line.startswith("running step"):
            steps += 1
    # discover + alone + with group + steps + double check
    return elapsed, found, steps + 4


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--dtp-python", default=None)
    parser.add_argument("--python", default=None, help="target interpreter (default: dtp's)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    python = args.python or args.dtp_python or sys.executable
    print(f"target interpreter: {python}")
    for size in args.sizes:
        scratch = Path(tempfile.mkdtemp(prefix=f"bench-iso-{size}-"))
        try:
            polluter, victim = write_suite(scratch, size)
            print(f"\n== {size} tests; planted {polluter} -> {victim}")
            located = [ours_locate(scratch, python, victim) for _ in range(args.repeat)]
            full = [ours_full(scratch, python) for _ in range(args.repeat)]
            t_loc = statistics.median(r[0] for r in located)
            quick = [ours_full(scratch, python, confirm=False) for _ in range(args.repeat)]
            t_full = statistics.median(r[0] for r in full)
            t_quick = statistics.median(r[0] for r in quick)
            print(
                f"ours, locate:  {t_loc:7.2f} s  found={located[0][1] == polluter}  "
                f"executions={located[0][2]} (forked)  processes=1"
            )
            print(
                f"ours, full:    {t_full:7.2f} s  found={full[0][1] == polluter}  "
                f"executions={full[0][2]}  processes={full[0][3]}"
            )
            print(
                f"ours, full without the replay process: {t_quick:7.2f} s  "
                f"found={quick[0][1] == polluter}  executions={quick[0][2]}  processes=1"
            )
            if args.dtp_python:
                runs = [dtp(scratch, args.dtp_python, victim) for _ in range(args.repeat)]
                t_dtp = statistics.median(r[0] for r in runs)
                print(
                    f"detect-test-pollution: {t_dtp:7.2f} s  found={runs[0][1] == polluter}  "
                    f"executions={runs[0][2]}  processes={runs[0][2]}"
                )
                print(
                    f"ratio ours/dtp: locate {t_loc / t_dtp:.3f}, full {t_full / t_dtp:.3f}, "
                    f"full without replay {t_quick / t_dtp:.3f} (target <= 0.25)"
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
