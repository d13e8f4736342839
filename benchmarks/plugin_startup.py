"""What the pytest plugin adds to a pytest run, against the same run without it.

    python benchmarks/plugin_startup.py [--runs 15]

The plugin is installed with the engine, so every pytest run in that environment loads it.
For a one-test project without `[tool.remediation]` (the plugin inactive) and with it
(active), runs `python -m pytest` with the plugin and with `-p no:remediation` (the no-op),
interleaved, `--runs` times each, each a new process; prints the median wall time of each
and the ratio. Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECTS = {
    "inactive (no [tool.remediation])": '[project]\nname = "plain"\nversion = "0"\n',
    "active ([tool.remediation])": "[tool.remediation]\n",
}


def _timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, "tests"],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        for label, pyproject in PROJECTS.items():
            root = Path(folder) / label.split()[0]
            (root / "tests").mkdir(parents=True)
            (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
            (root / "tests/test_one.py").write_text("def test_one():\n    assert True\n")
            plugin: list[float] = []
            without: list[float] = []
            for _ in range(runs):
                plugin.append(_timed([], root))
                without.append(_timed(["-p", "no:remediation"], root))
            with_s, without_s = statistics.median(plugin), statistics.median(without)
            print(
                f"{label}: with the plugin {with_s:.3f} s, without {without_s:.3f} s "
                f"(ratio {with_s / without_s:.2f}, +{with_s - without_s:.3f} s per run)"
            )


if __name__ == "__main__":
    main()
