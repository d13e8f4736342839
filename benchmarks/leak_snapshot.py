"""What the leak tracker's per-test snapshot costs, by how many project modules are loaded.

    python benchmarks/leak_snapshot.py [--modules 10 200 2000] [--tests 2000]

For each size it writes that many modules (each with a few globals, a settings class and a
dict) under a temporary project root, imports them, and times the tracker around a
no-op test (`before` + `after`: one snapshot and one diff per test, as in a detection
run), against the same loop without the tracker. Prints microseconds per test and the
share of it each part of the snapshot takes. Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[1] / "testing_lib/runner/target_plugins"
sys.path.insert(0, str(PLUGINS))

from remediation_order_leaks import LeakTracker  # noqa: E402


class _Discard:
    def write(self, *args: object, **kwargs: object) -> None:
        pass


def _project(root: Path, count: int, tag: str) -> list[str]:
    package = root / f"bench_{tag}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    names = []
    for index in range(count):
        (package / f"m{index:05d}.py").write_text(
            "LIMIT = 3\nNAME = 'x'\nCACHE = {}\n\n\nclass Settings:\n    debug = False\n"
        )
        names.append(f"bench_{tag}.m{index:05d}")
    return names


def _per_test_us(tracker: LeakTracker | None, tests: int) -> float:
    started = time.perf_counter()
    for index in range(tests):
        if tracker is not None:
            tracker.before(f"t{index}")
            tracker.after(f"t{index}")
    return (time.perf_counter() - started) / tests * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, nargs="+", default=[10, 200, 2000])
    parser.add_argument("--tests", type=int, default=2000)
    args = parser.parse_args(argv)
    print("| project modules loaded | µs per test (snapshot + diff) | no tracker |")
    print("| ---: | ---: | ---: |")
    for count in args.modules:
        with tempfile.TemporaryDirectory(prefix="bench-snapshot-") as folder:
            root = Path(folder)
            sys.path.insert(0, str(root))
            try:
                for name in _project(root, count, str(count)):
                    importlib.import_module(name)
                # a forked run's temp folder is its own (empty), not the shared /tmp
                (root / "tmp").mkdir()
                tempfile.tempdir = str(root / "tmp")
                tracker = LeakTracker(str(root), _Discard())
                _per_test_us(tracker, 50)  # warm the caches
                with_tracker = _per_test_us(tracker, args.tests)
                without = _per_test_us(None, args.tests)
            finally:
                tempfile.tempdir = None
                sys.path.remove(str(root))
        print(f"| {count:,} | {with_tracker:.0f} | {without:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
