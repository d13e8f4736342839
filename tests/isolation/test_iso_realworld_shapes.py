"""The shapes real projects leave their order dependence in, through the CLI as a user runs
it: no traceback, progress lines into a file, every reported pair replays in a new pytest
exactly as printed, an import-time side effect found in new processes (not a false "fails
alone") and fixed by pinning the state the test has alone, proven fixes for a dangling cwd,
`sys.modules`, a folder under the temp dir and a shared fixture's value, applied and undone
byte for byte."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.isolation.realworld_shapes import SHAPES, write_suite

pytestmark = pytest.mark.slow

REMEDIATE = [str(Path(sys.executable).parent / "remediate")]
FIXED = (
    "dangling-cwd",
    "sys-modules-reload",
    "sys-modules-import",
    "temp-folder",
    "shared-fixture",
)


def _remediate(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REMEDIATE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def _replay(command: str, root: Path, env: dict[str, str]) -> str:
    """The outcome line of a printed command, run by a shell from the project's root, with
    a temp folder of its own (as on a machine where it runs first)."""
    temp = tempfile.mkdtemp(dir=env["TMPDIR"])
    result = subprocess.run(
        ["bash", "-c", f"{command} -q -p no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "TMPDIR": temp},
    )
    return result.stdout.strip().splitlines()[-1]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".remediation" not in path.parts and "__pycache__" not in path.parts
    }


def test_real_world_shapes_are_found_replayed_and_fixed(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write_suite(root)
    before = _tree(root)
    temp = tmp_path / "temp"  # the replays' temp folders go under it
    temp.mkdir()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "TMPDIR": str(temp),
        "REMEDIATION_PROGRESS_EVERY_S": "0.5",
    }
    report_path = tmp_path / "report.json"
    isolation = ["isolation", str(root), "--orders", "2", "--seed", "1"]

    dry = _remediate([*isolation, "--fix", "--json", str(report_path)], root, env)

    output = dry.stdout + dry.stderr
    assert dry.returncode == 1, output
    assert "Traceback" not in output
    # into a file, progress comes as lines (every 0.5 s here, 30 s by default)
    assert [line for line in dry.stderr.splitlines() if line.startswith("… ") and "elapsed" in line]
    assert _tree(root) == before  # a dry run writes nothing
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["rootdir"] == "tests"
    assert report["isolation_score"] < 100
    assert "isolation score: 100.0" not in output
    pairs = {pair["victim"]: pair for pair in report["pairs"]}
    flat = " ".join(dry.stdout.split())
    for shape in SHAPES:
        if shape.name == "import-time":
            continue
        pair = pairs[shape.victim]
        assert pair["polluter"] == shape.polluter, shape.name
        assert pair["confirmation"] == "confirmed", shape.name
        # the printed command, in a new process: the pair fails, the victim alone passes
        assert "1 failed, 1 passed" in _replay(pair["replay_command"], root, env), shape.name
        alone = pair["replay_command"].replace(f" {shlex.quote(shape.polluter)} ", " ")
        assert _replay(alone, root, env).startswith("1 passed"), shape.name
        if shape.name in FIXED:
            assert f"{shape.victim} after {shape.polluter}: proven" in flat, shape.name

    # passes alone in a new process: found as an import-time side effect, not "brittle"
    import_time = next(shape for shape in SHAPES if shape.name == "import-time")
    (effect,) = report["import_side_effects"]
    assert effect["victim"] == import_time.victim
    assert effect["module"] == import_time.polluter.split("::")[0]
    assert "1 failed" in _replay(effect["replay_command"], root, env)
    assert import_time.victim not in pairs
    assert import_time.victim in [entry["test"] for entry in report["order_dependent"]]
    assert f"{import_time.victim} after {effect['module']}: proven" in flat
    assert "shop.modes.MODE = 'default' (not 'testing')" in flat  # pinned as it is alone

    applied = _remediate([*isolation, "--fix", "--apply"], root, env)
    assert applied.returncode == 1, applied.stdout + applied.stderr
    for shape in SHAPES:
        if shape.name in FIXED:
            replayed = _replay(pairs[shape.victim]["replay_command"], root, env)
            assert replayed.startswith("2 passed"), (shape.name, replayed)
    assert _replay(effect["replay_command"], root, env).startswith("1 passed")

    undone = _remediate(["fix", "undo", str(root)], root, env)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert _tree(root) == before
