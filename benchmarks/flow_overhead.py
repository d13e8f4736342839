"""What Prefect orchestration adds on top of plain pytest, on the same four selections.

    python benchmarks/flow_overhead.py [TARGET] [--repeat N]

Measures, each `--repeat` times (median reported):
- plain:  `python -m pytest <selection>` for the four phases' selections, one after another;
- cold:   `remediate run TARGET` in a new process with a brand-new PREFECT_HOME (the embedded
          API creates its database and starts);
- cold, existing state: `remediate run` in a new process reusing that PREFECT_HOME;
- warm:   a second `full_remediation` call in the same process (server already up).
Prints each figure, its overhead over plain pytest in seconds and as a ratio, and splits
each engine run into time inside the pytest gates, inside the phases' checks (which run the
selections again under the network guard, in several orders, under CI profiles...) and the
rest: Prefect's orchestration. Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
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


def split(report_json: str) -> tuple[float, float]:
    """Seconds inside the pytest gates and inside the checks, from a RemediationReport."""
    from testing_lib.report import RemediationReport

    report = RemediationReport.model_validate_json(report_json)
    gates = sum((p.suite.wall_time_s or 0.0) for p in report.phases if p.suite)
    checks = sum((c.duration_s or 0.0) for p in report.phases for c in p.checks)
    return gates, checks


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


def remediate_cli(root: Path, home: Path) -> tuple[float, float, float]:
    remediate = Path(sys.executable).with_name("remediate")
    report = home / "report.json"
    wall = timed(
        [str(remediate), "run", str(root), "--report", str(report)], prefect_env(home), REPO
    )
    return (wall, *split(report.read_text(encoding="utf-8")))


def warm_runs(root: Path, home: Path, count: int) -> list[tuple[float, float, float]]:
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
    return [(float(str(wall)), *split(str(report))) for wall, report in runs[1:]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", default=str(REPO / "examples" / "mdra_backend"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.target).resolve()

    plain = [plain_pytest(root) for _ in range(args.repeat)]
    cold: list[tuple[float, float, float]] = []
    cold_existing: list[tuple[float, float, float]] = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-prefect-") as home:
            cold.append(remediate_cli(root, Path(home)))
            cold_existing.append(remediate_cli(root, Path(home)))
    with tempfile.TemporaryDirectory(prefix="bench-prefect-") as home:
        warm = warm_runs(root, Path(home), args.repeat)

    base = statistics.median(plain)
    print(f"target: {root}  (median of {args.repeat}; {os.cpu_count()} cores)")
    print(
        f"{'run':<40}{'wall s':>8}{'ratio':>7}{'gates s':>9}{'checks s':>10}{'orchestration s':>17}"
    )
    print(f"{'plain pytest, four selections':<40}{base:>8.2f}{1.0:>7.2f}")
    rows = [
        ("remediate run, cold (new PREFECT_HOME)", cold),
        ("remediate run, cold (existing state)", cold_existing),
        ("full_remediation, warm (same process)", warm),
    ]
    for name, samples in rows:
        wall, gates, checks = (statistics.median(column) for column in zip(*samples, strict=True))
        rest = statistics.median(w - g - c for w, g, c in samples)
        print(f"{name:<40}{wall:>8.2f}{wall / base:>7.2f}{gates:>9.2f}{checks:>10.2f}{rest:>17.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
