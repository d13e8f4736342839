"""Order dependence in the shapes real projects have, against detect-test-pollution.

    python benchmarks/polluters_realworld.py [--dtp-python /path/to/venv/bin/python] \
        [--modules 150] [--import-s 0.4] [--shapes dangling-cwd temp-folder ...]

Each run generates one project per shape, CLI-style: `--modules` test modules of 3 tests
each, every one importing a library whose import takes `--import-s` seconds (the cost each
new pytest process pays), pytest's configuration in `tests/` (its rootdir below the
project), and one planted pair of the shape, its polluter a third of the way in and its
victim last (the shapes are those of `tests/isolation/realworld_shapes.py`: a dangling cwd,
`sys.modules` reloaded or imported, a folder under the temp dir, a shared module-scoped
parametrized fixture, an import-time side effect; plus an environment variable, the
plain case).

For each: detect-test-pollution `--failing-test VICTIM` (its console script, from pytest's
rootdir) and ours with `--victim` (locate, then confirm in new processes: the replay twice
and the victim alone), with the same interpreter; whether each names the polluter; the
time ratio ours / theirs; then ours with `--fix` on the pair (proven or not). Without
`--dtp-python` the script makes a throwaway venv with detect-test-pollution 1.2.0, pytest
and pytest-xdist, and removes it afterwards. Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from polluters_shapes import dtp  # noqa: E402  detect-test-pollution told the victim

from testing_lib.isolation import TestIsolationValidator  # noqa: E402
from testing_lib.isolation.fix_plan import fixes_for  # noqa: E402
from tests.isolation.realworld_shapes import FILES, SHAPES  # noqa: E402

ENV_SHAPE_FILES = {
    "tests/test_y_sets_env.py": "import os\n\n\ndef test_sets_env():\n"
    "    os.environ['BENCH_POLLUTED'] = '1'\n",
    "tests/test_z_reads_env.py": "import os\n\n\ndef test_reads_env():\n"
    "    assert 'BENCH_POLLUTED' not in os.environ\n",
}
SHAPE_FILES = {
    "dangling-cwd": ["tests/test_a_chdir.py", "tests/test_b_reader.py"],
    "sys-modules-reload": ["tests/test_c_reload.py", "tests/test_d_patch.py"],
    "sys-modules-import": ["tests/test_e_plugins.py", "tests/test_f_lazy.py"],
    "temp-folder": ["tests/test_g_cache.py", "tests/test_h_first_run.py"],
    "shared-fixture": ["tests/test_k_params.py"],
    "import-time": ["tests/helpers.py", "tests/test_i_uses_helper.py", "tests/test_j_mode.py"],
}
SHARED = ["data/config.txt", *[name for name in FILES if name.startswith("shop/")]]


def write_project(root: Path, shape: str, modules: int, import_s: float) -> tuple[str, str]:
    """The project; returns (polluter, victim) as pytest spells them from `tests/`."""
    tests = root / "tests"
    tests.mkdir(parents=True)
    (tests / "pytest.ini").write_text("[pytest]\npythonpath = ..\n")
    (root / "slowlib.py").write_text(
        f"import time\n\n_end = time.perf_counter() + {import_s}\n"
        "while time.perf_counter() < _end:  # an import that costs CPU, like a large library\n"
        "    pass\n"
    )
    body = "import slowlib  # noqa: F401\n\n" + "".join(
        f"\ndef test_{t}():\n    assert True\n" for t in range(3)
    )
    for m in range(modules):
        # the planted polluter sorts a third of the way in, the victim last
        prefix = "test_a" if m < modules // 3 else "test_m"
        (tests / f"{prefix}{m:04d}_cmd.py").write_text(body)
    if shape == "env":
        files = dict(ENV_SHAPE_FILES)
        names = ("test_y_sets_env.py::test_sets_env", "test_z_reads_env.py::test_reads_env")
    else:
        files = {name: FILES[name] for name in [*SHARED, *SHAPE_FILES[shape]]}
        planted = next(s for s in SHAPES if s.name == shape)
        names = (planted.polluter, planted.victim)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    # place the polluter's module a third of the way in and the victim's last
    polluter, victim = names
    polluter_file, victim_file = polluter.split("::")[0], victim.split("::")[0]
    if polluter_file != victim_file:
        moved = f"test_a{modules // 3 - 1:04d}z_{polluter_file.removeprefix('test_')}"
        (tests / polluter_file).rename(tests / moved)
        polluter = polluter.replace(polluter_file, moved)
    last = f"test_zz_{victim_file.removeprefix('test_')}"
    (tests / victim_file).rename(tests / last)
    victim = victim.replace(victim_file, last)
    if polluter_file == victim_file:
        polluter = polluter.replace(victim_file, last)
    return polluter, victim


def ours(root: Path, python: str, victim: str) -> tuple[float, str | None, str]:
    """--victim: locate and confirm; then the fix for what it found."""
    started = time.perf_counter()
    validator = TestIsolationValidator(
        root, python=python, seed=1, victims=[victim], find_cleaners=False, timeout_s=3600
    )
    report = validator.validate_isolation()
    elapsed = time.perf_counter() - started
    found = report.pairs[0].polluter if report.pairs else None
    effects = [effect.module for effect in report.import_side_effects]
    if found is None and effects:
        found = effects[0]
    fixed = "-"
    if report.pairs or report.import_side_effects:
        fixes, _ = fixes_for(validator, report)
        fixed = ", ".join(sorted({fix.status for fix in fixes.fixes})) or "-"
    return elapsed, found, fixed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtp-python", default=None)
    parser.add_argument("--modules", type=int, default=150)
    parser.add_argument("--import-s", type=float, default=0.4)
    parser.add_argument("--shapes", nargs="+", default=["env", *SHAPE_FILES])
    args = parser.parse_args(argv)
    if args.dtp_python is None:
        with tempfile.TemporaryDirectory(prefix="bench-dtp-venv-") as folder:
            venv.create(folder, with_pip=True)
            python = str(Path(folder) / "bin" / "python")
            subprocess.run(
                [python, "-m", "pip", "install", "-q", "detect-test-pollution==1.2.0"]
                + ["pytest", "pytest-xdist"],
                check=True,
                timeout=900,
            )
            args.dtp_python = python
            return _compare(args)
    return _compare(args)


def _compare(args: argparse.Namespace) -> int:
    tests = args.modules * 3
    print(f"{args.modules} test modules ({tests}+ tests), each import {args.import_s} s of CPU")
    print("| shape | dtp told the victim | ours --victim | ratio | fix |")
    print("| --- | ---: | ---: | ---: | --- |")
    for shape in args.shapes:
        with tempfile.TemporaryDirectory(prefix="bench-realworld-") as scratch:
            root = Path(scratch)
            polluter, victim = write_project(root, shape, args.modules, args.import_s)
            theirs_s, theirs = dtp(root / "tests", args.dtp_python, victim)
            ours_s, found, fixed = ours(root, args.dtp_python, victim)
            expected = polluter.split("::")[0] if shape == "import-time" else polluter
            print(
                f"| {shape} | {theirs_s:.1f} s {'✓' if theirs == polluter else '✗'} "
                f"| {ours_s:.1f} s {'✓' if found == expected else '✗ ' + str(found)} "
                f"| {ours_s / theirs_s:.2f} | {fixed} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
