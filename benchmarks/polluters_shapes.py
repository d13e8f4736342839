"""Order-dependence search on real-world suite shapes, against detect-test-pollution.

    python benchmarks/polluters_shapes.py [--dtp-python /path/to/venv/bin/python] \
        [--shapes class-attribute fixed-scratch shuffle-only rootdir-below] [--size-big 15000]

Without `--dtp-python` the script makes a throwaway venv with detect-test-pollution 1.2.0
and pytest (from the package index pip is configured with) and removes it afterwards.

Each shape is a generated suite that reproduces what made tools stumble on public projects:

- class-attribute: a polluter sets an attribute on a settings class another module reads;
- fixed-scratch: every test deletes and re-creates one fixed folder under the temp dir
  (concurrent runs sharing TMPDIR report false pairs), plus one real environment-variable
  pair;
- shuffle-only: a cleaner runs right after the polluter, so the victim fails only in some
  orders (detect-test-pollution cannot find such a pair alone: it is
  given a failing order, as a shuffle would have found it);
- rootdir-below: `pytest.ini` lives in `tests/`, so pytest's node ids are relative to it;
  `--size-big` tiny tests (default 15,000) with one environment-variable pair.

For each: ours with `--victim` (locate and confirm, no detection), ours full detection in
10 orders (4 for rootdir-below), and detect-test-pollution `--failing-test` (told the
victim, and for shuffle-only a failing order; it starts a pytest process per step), all
with the same interpreter. Prints wall
times, whether each found the polluter, false pairs, and our time over theirs.
Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testing_lib.isolation import validate_isolation  # noqa: E402

PER_MODULE = 20


def _modules(tests: Path, count: int, body: str, planted: dict[int, str]) -> None:
    for m in range(count):
        lines = ["import os, shutil, tempfile", "from settings_mod import Settings", ""]
        lines += [body.format(m=m, t=t) for t in range(PER_MODULE)]
        lines.append(planted.get(m, ""))
        (tests / f"test_m{m:04d}.py").write_text("\n".join(lines) + "\n")


def write_shape(root: Path, shape: str, size: int) -> tuple[str, str, Path]:
    """The suite; returns (polluter, victim) as pytest spells them, and where to run it."""
    tests = root / "tests"
    tests.mkdir(parents=True)
    (tests / "settings_mod.py").write_text("class Settings:\n    debug = False\n")
    modules = max(3, size // PER_MODULE)
    first, last = modules // 3, modules - 1
    trivial = "def test_{m}_{t}():\n    assert True\n"
    if shape == "class-attribute":
        (root / "pytest.ini").write_text("[pytest]\npythonpath = tests\n")
        planted = {
            first: "def test_turns_debug_on():\n    Settings.debug = True\n",
            last: "def test_reads_debug():\n    assert Settings.debug is False\n",
        }
        _modules(tests, modules, trivial, planted)
        prefix, cwd = "tests/", root
    elif shape == "fixed-scratch":
        (root / "pytest.ini").write_text("[pytest]\npythonpath = tests\n")
        scratch = (
            "def test_{m}_{t}():\n"
            "    fixed = os.path.join(tempfile.gettempdir(), 'bench_fixed_scratch')\n"
            "    shutil.rmtree(fixed, ignore_errors=True)\n"
            "    os.makedirs(fixed)\n"
        )
        planted = {
            first: "def test_sets_env():\n    os.environ['BENCH_POLLUTED'] = '1'\n",
            last: "def test_reads_env():\n    assert 'BENCH_POLLUTED' not in os.environ\n",
        }
        _modules(tests, modules, scratch, planted)
        prefix, cwd = "tests/", root
    elif shape == "shuffle-only":
        (root / "pytest.ini").write_text("[pytest]\npythonpath = tests\n")
        clean = "    os.environ.pop('BENCH_POLLUTED', None)\n"
        planted = {
            first: "def test_sets_env():\n    os.environ['BENCH_POLLUTED'] = '1'\n\n"
            f"def test_cleans_after():\n{clean}",
            last: "def test_reads_env():\n    assert 'BENCH_POLLUTED' not in os.environ\n",
        }
        _modules(tests, modules, trivial, planted)
        prefix, cwd = "tests/", root
    else:  # rootdir-below
        (tests / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
        (root / "pyproject.toml").write_text("[project]\nname = 'shape'\n")
        planted = {
            first: "def test_sets_env():\n    os.environ['BENCH_POLLUTED'] = '1'\n",
            last: "def test_reads_env():\n    assert 'BENCH_POLLUTED' not in os.environ\n",
        }
        _modules(tests, modules, trivial, planted)
        prefix, cwd = "", tests
    name = {"class-attribute": ("turns_debug_on", "reads_debug")}.get(
        shape, ("sets_env", "reads_env")
    )
    polluter = f"{prefix}test_m{first:04d}.py::test_{name[0]}"
    victim = f"{prefix}test_m{last:04d}.py::test_{name[1]}"
    return polluter, victim, cwd


def ours(root: Path, python: str, victim: str | None, orders: int) -> tuple[float, set, int]:
    started = time.perf_counter()
    report = validate_isolation(
        root=root,
        python=python,
        selection=["tests"],
        orders=orders,
        seed=1,
        victims=[victim] if victim else (),
        find_cleaners=False,
        timeout_s=3600,
    )
    elapsed = time.perf_counter() - started
    if report.error:
        print(f"    ours: error: {report.error}")
    return elapsed, {(p.polluter, p.victim) for p in report.pairs}, len(report.unconfirmed)


def failing_order(cwd: Path, polluter: str, victim: str) -> Path:
    """A test-id file in an order that fails the shuffle-only victim: every test, the
    polluter after its cleaners, the victim last (what a shuffle that found it ran)."""
    ids = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout.splitlines()
    ids = [line for line in ids if "::" in line and line not in (polluter, victim)]
    path = cwd / "failing-order.txt"
    path.write_text("\n".join([*ids, polluter, victim]) + "\n")
    return path


def dtp(
    cwd: Path, dtp_python: str, victim: str, order: Path | None = None
) -> tuple[float, str | None]:
    started = time.perf_counter()
    tests = ["--testids-file", str(order)] if order else ["--tests", "."]
    done = subprocess.run(
        [
            str(Path(dtp_python).absolute().parent / "detect-test-pollution"),
            "--failing-test",
            victim,
        ]
        + tests,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    elapsed = time.perf_counter() - started
    found = None
    for line in done.stdout.splitlines():
        if line.startswith("-> the polluting test is:"):
            found = line.split(":", 1)[1].strip()
    if found is None:
        print(f"    dtp: no polluter found: {done.stdout[-300:]}{done.stderr[-300:]}")
    return elapsed, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtp-python", default=None)
    parser.add_argument(
        "--shapes",
        nargs="+",
        default=["class-attribute", "fixed-scratch", "shuffle-only", "rootdir-below"],
    )
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--size-big", type=int, default=15_000)
    args = parser.parse_args(argv)
    if args.dtp_python is None:
        with tempfile.TemporaryDirectory(prefix="bench-dtp-venv-") as folder:
            venv.create(folder, with_pip=True)
            python = str(Path(folder) / "bin" / "python")
            subprocess.run(
                [python, "-m", "pip", "install", "-q", "detect-test-pollution==1.2.0", "pytest"],
                check=True,
                timeout=900,
            )
            args.dtp_python = python
            return _compare(args)
    return _compare(args)


def _compare(args: argparse.Namespace) -> int:
    print(
        "| shape | tests | ours --victim | ours full (orders) | dtp told the victim "
        "| victim ratio | full ratio | false pairs |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for shape in args.shapes:
        size = args.size_big if shape == "rootdir-below" else args.size
        orders = 4 if shape == "rootdir-below" else 10
        with tempfile.TemporaryDirectory(prefix="bench-shape-") as scratch:
            root = Path(scratch)
            polluter, victim, cwd = write_shape(root, shape, size)
            order = failing_order(cwd, polluter, victim) if shape == "shuffle-only" else None
            theirs_s, theirs = dtp(cwd, args.dtp_python, victim, order)
            if order is not None:
                order.unlink()  # not a test file, but keep the target as generated
            victim_s, victim_pairs, _ = ours(root, args.dtp_python, victim, orders)
            full_s, full_pairs, unconfirmed = ours(root, args.dtp_python, None, orders)
            false = len(full_pairs - {(polluter, victim)})
            print(
                f"| {shape} | {size:,} | {victim_s:.1f} s "
                f"{'✓' if (polluter, victim) in victim_pairs else '✗'} "
                f"| {full_s:.1f} s ({orders}) {'✓' if (polluter, victim) in full_pairs else '✗'} "
                f"| {theirs_s:.1f} s {'✓' if theirs == polluter else '✗'} "
                f"| {victim_s / theirs_s:.2f} | {full_s / theirs_s:.2f} "
                f"| {false} (+{unconfirmed} unconfirmed) |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
