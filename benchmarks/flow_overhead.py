"""What Prefect orchestration adds on top of plain pytest, on the same four selections.

    python benchmarks/flow_overhead.py [TARGET] [--repeat N]

Measures, each `--repeat` times (median reported):
- plain:  `python -m pytest <selection>` for the four phases' selections, one after another;
- cold:   `remediate run TARGET` in a new process with a brand-new PREFECT_HOME (the embedded
          API creates its database and starts);
- cold, existing state: `remediate run` in a new process reusing that PREFECT_HOME;
- warm:   a second `full_remediation` call in the same process (server already up).
Prints each figure, its overhead over plain pytest in seconds and as a ratio.
Run by hand; not part of the test suite.
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
times = []
with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        state = full_remediation(target=sys.argv[1], return_state=True)
        times.append(time.perf_counter() - start)
        assert state.is_completed(), state.message
print("TIMES=" + json.dumps(times))
"""


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
        command += list(selection.existing)
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


def remediate_cli(root: Path, home: Path) -> float:
    remediate = Path(sys.executable).with_name("remediate")
    return timed([str(remediate), "run", str(root)], prefect_env(home), REPO)


def warm_runs(root: Path, home: Path, count: int) -> list[float]:
    result = subprocess.run(
        [sys.executable, "-c", WARM_CHILD, str(root), str(count + 1)],
        env=prefect_env(home),
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("TIMES="))
    times: list[float] = json.loads(line.removeprefix("TIMES="))
    return times[1:]  # the first call pays the server start-up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", default=str(REPO / "examples" / "mdra_backend"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.target).resolve()

    plain = [plain_pytest(root) for _ in range(args.repeat)]
    cold, cold_existing = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-prefect-") as home:
            cold.append(remediate_cli(root, Path(home)))
            cold_existing.append(remediate_cli(root, Path(home)))
    with tempfile.TemporaryDirectory(prefix="bench-prefect-") as home:
        warm = warm_runs(root, Path(home), args.repeat)

    base = statistics.median(plain)
    print(f"target: {root}  (median of {args.repeat}; {os.cpu_count()} cores)")
    print(f"{'run':<42}{'wall s':>9}{'overhead s':>12}{'ratio':>8}")
    rows = [
        ("plain pytest, four selections", base),
        ("remediate run, cold (new PREFECT_HOME)", statistics.median(cold)),
        ("remediate run, cold (existing state)", statistics.median(cold_existing)),
        ("full_remediation, warm (same process)", statistics.median(warm)),
    ]
    for name, value in rows:
        print(f"{name:<42}{value:>9.2f}{value - base:>12.2f}{value / base:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
