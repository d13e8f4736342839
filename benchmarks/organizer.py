"""Audit + duplicate detection on a large generated suite (target: 10,000 files in < 20 s).

    python benchmarks/organizer.py [--files 10000] [--tests 10] [--workers N] [--keep DIR]

Generates FILES test modules of about TESTS tests each (module functions, Test classes,
parametrized and async tests, fixtures, conftests, helpers, one file in twenty a copy of
another and some near-duplicate tests) under a temporary folder, then times
`run_audit(root)` (discovery, parsing, collection rules, classification, problems and
duplicate fingerprints) and prints files/s against the target, with the CPU time of this
process and the load average (on a shared machine the wall time includes waiting for a
CPU). Generation is not timed. `--files` below 10,000 scales the time linearly.
Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testing_lib.organizer.audit import run_audit  # noqa: E402

TARGET_FILES = 10_000
TARGET_S = 20.0
AREAS = ["models", "services", "api", "auth", "database", "core", "utils"]


def _test_body(rng: random.Random, n: int) -> str:
    a, b = rng.randint(1, 10**6), rng.randint(1, 10**6)
    shapes = [
        f"    result = add({a}, {b})\n    assert result == {a + b}\n",
        f"    items = [{a}, {b}, {a + b}]\n    assert sorted(items)[0] == {min(a, b, a + b)}\n",
        f"    value = parse('k{n}:{a}')\n    assert value.key == 'k{n}'\n"
        f"    assert value.n == {a}\n",
        f"    with pytest.raises(ValueError):\n        parse('bad{n}')\n",
        f"    client = make_client()\n    response = client.get('/items/{a}')\n"
        f"    assert response.status == 200\n",
    ]
    return shapes[n % len(shapes)]


def _module(rng: random.Random, index: int, tests: int) -> str:
    lines = [
        f'"""Generated module {index}."""\n',
        "import pytest\n",
        "from app.core import add, parse, make_client\n",
        f"from tests.helpers_{index % 50} import build\n\n",
        "@pytest.fixture\ndef sample():\n    return build()\n\n",
    ]
    written = 0
    while written < tests:
        kind = written % 5
        if kind == 0:
            lines.append(
                f"@pytest.mark.parametrize('x', [1, 2])\ndef test_param_{written}(x, sample):\n"
                f"    assert x in (1, 2)\n    assert sample is not None\n\n"
            )
            written += 2
        elif kind == 1:
            lines.append(f"async def test_async_{written}():\n{_test_body(rng, written)}\n")
            written += 1
        elif kind == 2:
            lines.append(
                f"class TestGroup{written}:\n"
                f"    def test_one(self):\n{_indent(_test_body(rng, written))}\n"
                f"    def test_two(self, sample):\n{_indent(_test_body(rng, written + 1))}\n"
            )
            written += 2
        else:
            lines.append(f"def test_case_{written}():\n{_test_body(rng, written)}\n")
            written += 1
    return "".join(lines)


def _indent(text: str) -> str:
    return "".join("    " + line + "\n" for line in text.splitlines())


def generate(root: Path, files: int, tests: int, seed: int = 7) -> int:
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    app = root / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "core.py").write_text("def add(a, b):\n    return a + b\n")
    tests_dir = root / "tests"
    tests_dir.mkdir()
    (tests_dir / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef client():\n    return object()\n"
    )
    for helper in range(50):
        (tests_dir / f"helpers_{helper}.py").write_text("def build():\n    return {}\n")
    written = 0
    previous = ""
    for index in range(files):
        folder = (
            tests_dir
            / (AREAS[index % len(AREAS)] if index % 3 else "")
            / (f"group_{index // 500}" if index % 2 else "")
        )
        folder.mkdir(parents=True, exist_ok=True)
        source = previous if index % 20 == 19 and previous else _module(rng, index, tests)
        (folder / f"test_generated_{index}.py").write_text(source)
        previous = source
        written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=TARGET_FILES)
    parser.add_argument("--tests", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="generate here and keep it")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="organizer-bench-") as scratch:
        root = args.keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        count = generate(root, args.files, args.tests)
        print(f"generated {count} test files in {time.perf_counter() - started:.1f} s")
        load = os.getloadavg()[0]
        started, cpu_started = time.perf_counter(), time.process_time()
        audit = run_audit(root, workers=args.workers)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        report = audit.report
    tests = sum(f.test_count for f in report.files if f.kind == "test")
    copies = sum(1 for f in report.files if f.is_duplicate)
    print(
        f"audit + duplicates: {len(report.files)} files, {tests} tests, "
        f"{len(report.duplicates)} duplicate pairs ({copies} whole-file copies), "
        f"{len(report.problems)} problems"
    )
    rate = len(report.files) / elapsed if elapsed else float("inf")
    workers = args.workers or 1
    print(f"time: {elapsed:.2f} s  ->  {rate:,.0f} files/s  (worker processes: {workers})")
    print(
        f"this process's CPU time: {cpu:.2f} s; load average when it started: {load:.1f} "
        f"on {os.cpu_count()} CPUs (wall time above CPU time is other processes' share)"
    )
    scaled = elapsed * TARGET_FILES / max(1, args.files)
    verdict = "meets" if scaled < TARGET_S else "MISSES"
    print(f"target: {TARGET_FILES} files in < {TARGET_S:.0f} s: {verdict} ({scaled:.1f} s scaled)")
    return 0 if scaled < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
