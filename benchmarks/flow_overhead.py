"""What a remediation run costs over plain pytest, on the same four selections.

    python benchmarks/flow_overhead.py [TARGET] [--repeat N] [--generated TESTS]

Measures, each `--repeat` times (median reported):
- plain:  `python -m pytest <selection>` for the four phases' selections, one after another;
- cold:   `remediate run TARGET` in a new process with a brand-new PREFECT_HOME (the embedded
          API creates its database and starts);
- cold, existing state: `remediate run` in a new process reusing that PREFECT_HOME;
- warm:   a second `full_remediation` call in the same process (server already up).
Prints each figure and its ratio to plain pytest, and splits each engine run into time
inside the pytest gates, the phases' time beyond their gates (checks that did not overlap the
gate, and the phase flow's own work) and the rest (interpreter and Prefect start, the parent
flow). Then, per phase of the cold runs with existing state: gate, the checks' own time
(concurrent with the gate or judged from its records) and the phase's time beyond its gate.
`--generated TESTS` benchmarks a generated suite of that many tests (each spending
`--test-ms` of CPU, default 10) in the default layout instead of TARGET. Run by hand; not
part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testing_lib.config import PHASE_ORDER, load_target_config  # noqa: E402
from testing_lib.selection import resolve_selection  # noqa: E402

WARM_CHILD = """
import json, sys, time
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from flows.remediation import full_remediation
runs = []
with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        state = full_remediation(target=sys.argv[1], reuse_passed=False, return_state=True)
        wall = time.perf_counter() - start
        assert state.is_completed(), state.message
        runs.append([wall, state.result().model_dump_json()])
print("RUNS=" + json.dumps(runs))
"""


Sample = tuple[float, float, float, str]  # wall, gates, phases beyond gates, report JSON


def split(wall: float, report_json: str) -> Sample:
    """Seconds inside the pytest gates and in the phases beyond them, from a report."""
    from testing_lib.report import RemediationReport

    report = RemediationReport.model_validate_json(report_json)
    gates = sum((p.suite.wall_time_s or 0.0) for p in report.phases if p.suite)
    phases = sum((p.duration_s or 0.0) for p in report.phases)
    return wall, gates, phases - gates, report_json


def phase_rows(samples: list[Sample]) -> list[tuple[str, float, float, float, float]]:
    """Per phase, medians over `samples`: wall, gate, the checks' own time, beyond the gate."""
    from testing_lib.report import RemediationReport

    reports = [RemediationReport.model_validate_json(s[3]) for s in samples]
    rows: list[tuple[str, float, float, float, float]] = []
    for name in PHASE_ORDER:
        phases = [p for r in reports for p in r.phases if p.name == name]
        if not phases:
            continue
        wall = statistics.median(p.duration_s or 0.0 for p in phases)
        gate = statistics.median((p.suite.wall_time_s or 0.0) if p.suite else 0.0 for p in phases)
        checks = statistics.median(sum(c.duration_s or 0.0 for c in p.checks) for p in phases)
        rows.append((name, wall, gate, checks, wall - gate))
    return rows


def generate_suite(root: Path, tests: int, test_ms: float) -> Path:
    """`tests` tests spread over the four phases' default folders, 25 to a module, each
    spending about `test_ms` of CPU (a backend test's query and request)."""
    folders = [
        "tests/unit",
        "tests/integration/api",
        "tests/integration/database",
        "tests/integration/services",
        "tests/integration/auth",
    ]
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[tool.remediation]\npython = "{sys.executable}"\n', encoding="utf-8"
    )
    for start in range(0, tests, 25):
        folder = root / folders[(start // 25) % len(folders)]
        folder.mkdir(parents=True, exist_ok=True)
        body = "import time\n\n\ndef work():\n    end = time.process_time() + "
        body += f"{test_ms / 1000!r}\n    while time.process_time() < end:\n        pass\n"
        body += "".join(
            f"\n\ndef test_{i}():\n    work()\n" for i in range(start, min(start + 25, tests))
        )
        (folder / f"test_gen_{start // 25:04d}.py").write_text(body, encoding="utf-8")
    return root


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True, timeout=900)
    return time.perf_counter() - start


def plain_pytest(root: Path) -> float:
    target = load_target_config(root)
    total = 0.0
    for phase in PHASE_ORDER:
        selection = resolve_selection(target, phase)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        config = target.phase(phase)
        command += list(selection.existing)
        command += (["-m", config.markers] if config.markers else []) + config.pytest_args
        total += timed(command, dict(os.environ), root)
    return total


def prefect_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(home)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
    env["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"
    return env


def remediate_cli(root: Path, home: Path) -> Sample:
    remediate = Path(sys.executable).with_name("remediate")
    report = home / "report.json"
    wall = timed(
        [str(remediate), "run", str(root), "--report", str(report)], prefect_env(home), REPO
    )
    return split(wall, report.read_text(encoding="utf-8"))


def warm_runs(root: Path, home: Path, count: int) -> list[Sample]:
    result = subprocess.run(
        [sys.executable, "-c", WARM_CHILD, str(root), str(count + 1)],
        env=prefect_env(home),
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("RUNS="))
    runs: list[list[object]] = json.loads(line.removeprefix("RUNS="))
    return [split(float(str(wall)), str(report)) for wall, report in runs[1:]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", default=str(REPO / "examples" / "mdra_backend"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--generated", type=int, metavar="TESTS")
    parser.add_argument("--test-ms", type=float, default=10.0, help="CPU per generated test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-target-") as scratch:
        if args.generated:
            root = generate_suite(Path(scratch) / "generated", args.generated, args.test_ms)
        else:  # a copy: the engine writes its runs under the target
            root = Path(scratch) / "target"
            shutil.copytree(
                Path(args.target).resolve(),
                root,
                ignore=shutil.ignore_patterns(".remediation", "__pycache__", ".prefect"),
            )
        label = f"{args.generated} generated tests of {args.test_ms:g} ms CPU each"
        return measure(root, args.repeat, label if args.generated else args.target)


def measure(root: Path, repeat: int, label: object) -> int:
    plain = [plain_pytest(root) for _ in range(repeat)]
    cold: list[Sample] = []
    cold_existing: list[Sample] = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-prefect-") as home:
            cold.append(remediate_cli(root, Path(home)))
            cold_existing.append(remediate_cli(root, Path(home)))
    with tempfile.TemporaryDirectory(prefix="bench-prefect-") as home:
        warm = warm_runs(root, Path(home), repeat)

    base = statistics.median(plain)
    print(f"target: {label}  (median of {repeat}; {os.cpu_count()} cores)")
    print(f"{'run':<40}{'wall s':>8}{'ratio':>7}{'gates s':>9}{'phases beyond':>15}{'rest s':>8}")
    print(f"{'plain pytest, four selections':<40}{base:>8.2f}{1.0:>7.2f}")
    rows = [
        ("remediate run, cold (new PREFECT_HOME)", cold),
        ("remediate run, cold (existing state)", cold_existing),
        ("full_remediation, warm (same process)", warm),
    ]
    for name, samples in rows:
        wall = statistics.median(s[0] for s in samples)
        gates = statistics.median(s[1] for s in samples)
        beyond = statistics.median(s[2] for s in samples)
        rest = statistics.median(s[0] - s[1] - s[2] for s in samples)
        print(f"{name:<40}{wall:>8.2f}{wall / base:>7.2f}{gates:>9.2f}{beyond:>15.2f}{rest:>8.2f}")
    print("\nper phase, cold with existing state:")
    print(f"{'phase':<22}{'wall s':>8}{'gate s':>8}{'checks s':>10}{'beyond gate s':>15}")
    for name, wall, gate, checks, beyond in phase_rows(cold_existing):
        print(f"{name:<22}{wall:>8.2f}{gate:>8.2f}{checks:>10.2f}{beyond:>15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
