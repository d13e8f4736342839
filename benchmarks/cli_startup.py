"""How long `remediate` takes to print its help, against an interpreter that does nothing.

    python benchmarks/cli_startup.py [--runs 15]

Runs, interleaved, `--runs` times each (median reported): `python -c pass` (the no-op
anchor: the interpreter's own start), `remediate --help` and `remediate isolation --help`,
each a new process in an empty folder, its output discarded. Then the time until the first
byte of `remediate isolation` and `remediate fix` on a one-test project, output to pipes
(as in a CI log), each stopped at its first output. Prints each median wall time
and its ratio to the no-op, and the median CPU time (user + system, the watchdog process
`remediate` starts included), which a loaded machine inflates less than wall time.
`remediate` is the console script next to this interpreter (else `python -m cli.main`).
Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import resource
import selectors
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def remediate() -> list[str]:
    script = Path(sys.executable).parent / "remediate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds of one run; a failing command stops the benchmark."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def first_output(command: list[str], cwd: str) -> float:
    """Seconds until the command writes its first byte (stdout or stderr, both pipes, so
    not a terminal: what a CI log or a file sees); the command is then stopped."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout is not None
    assert process.stderr is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        ready = selector.select(timeout=120)
    elapsed = time.perf_counter() - start
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    if not ready:
        raise SystemExit(f"{shlex.join(command)} wrote nothing in 120 s")
    return elapsed


def _tiny_target(folder: Path) -> Path:
    root = folder / "tiny"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("def test_a():\n    pass\n", encoding="utf-8")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "remediate --help": [*remediate(), "--help"],
        "remediate isolation --help": [*remediate(), "isolation", "--help"],
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as cwd:
        for command in commands.values():  # warm the file cache and the bytecode once
            timed(command, cwd)
        for _ in range(args.runs):  # interleaved: drift in the machine's load hits all alike
            for name, command in commands.items():
                runs[name].append(timed(command, cwd))
        target = str(_tiny_target(Path(cwd)))
        started = {
            "remediate isolation TARGET": [*remediate(), "isolation", target, "--orders", "2"],
            "remediate fix TARGET": [*remediate(), "fix", target, "--phase", "final_validation"],
        }
        first = {
            name: statistics.median(first_output(command, cwd) for _ in range(args.runs))
            for name, command in started.items()
        }
    anchor = statistics.median(wall for wall, _ in runs["python -c pass"])
    print(f"median of {args.runs} runs each, a new process each")
    for name, samples in runs.items():
        walls = [wall for wall, _ in samples]
        wall = statistics.median(walls)
        cpu = statistics.median(cpu for _, cpu in samples)
        print(
            f"{name + ':':28} {wall:6.3f} s wall ({min(walls):.3f}-{max(walls):.3f}), "
            f"{wall / anchor:5.1f}x the no-op; {cpu:6.3f} s CPU"
        )
    for name, seconds in first.items():
        print(f"{name + ':':28} first output after {seconds:6.3f} s (into a pipe)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
