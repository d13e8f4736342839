"""An apply killed partway is noticed: a new apply is refused, and undo restores the tree.

The apply runs in a child process (the real CLI) that pauses at a chosen point of its step
loop, says so by writing a file, and is then killed with SIGKILL: no rollback, no `finally`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.main import main
from tests.organizer.conftest import MakeProject, tree_digest, tree_dirs
from tests.organizer.test_org_execute import FILES

REPO = Path(__file__).resolve().parents[2]

# Runs `remediate organize ROOT FLAG`, pausing (until killed) at the COUNT-th call of WHERE:
# "move" pauses once an apply's move is journaled but before it starts; "link" pauses inside
# a move, after the hard link to the destination exists and before the source goes;
# "collect" pauses at a pytest --collect-only run; "undo-move" at a move back made by undo.
CHILD = """
import os, sys, threading
from pathlib import Path

from testing_lib.organizer import execute, journal

root, ready, where, count, flag = Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:6]
calls = []


def pause():
    ready.write_text("paused", encoding="utf-8")
    threading.Event().wait()  # until SIGKILL


def pausing(real):
    def call(*args, **kwargs):
        calls.append(args)
        if len(calls) == int(count):
            pause()
        return real(*args, **kwargs)

    return call


if where == "move":
    execute.move = pausing(execute.move)
elif where == "collect":
    execute._collect = pausing(execute._collect)
elif where == "undo-move":
    journal.move = pausing(journal.move)
else:
    real_link = os.link

    def link(source, destination, *args, **kwargs):
        real_link(source, destination, *args, **kwargs)
        if str(destination).startswith(str(root)):
            calls.append(destination)
            if len(calls) == int(count):
                pause()

    os.link = link

from cli.main import main

sys.exit(main(["organize", str(root), flag, "--python", sys.executable]))
"""


def kill_partway(root: Path, work: Path, where: str, count: int, flag: str = "--apply") -> None:
    """Run `organize ROOT FLAG` in a child, wait until it pauses at `where` #`count`, kill it."""
    ready = work / "paused"
    log = work / "child.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), str(ready), where, str(count), flag],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            while not ready.exists():
                if child.poll() is not None:
                    pytest.fail(
                        f"{flag} ended (exit {child.returncode}) before pausing:\n"
                        + log.read_text(encoding="utf-8", errors="replace")
                    )
                time.sleep(0.02)
        finally:
            if child.poll() is None:  # else pytest.fail above says why it ended
                os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL


def journal_names(root: Path) -> list[str]:
    return sorted(p.name for p in (root / ".remediation" / "organize").iterdir())


def assert_apply_is_refused(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new --apply exits 2 with one line naming the undo, and changes nothing."""
    tree, journals = tree_digest(root), journal_names(root)

    assert main(["organize", str(root), "--apply", "--python", sys.executable]) == 2

    printed = capsys.readouterr()
    expected = (
        f"an earlier apply did not finish; `remediate organize {root} --undo` restores the tree"
    )
    assert expected in printed.err
    assert len(printed.err.strip().splitlines()) == 1
    assert tree_digest(root) == tree
    assert journal_names(root) == journals


@pytest.mark.parametrize(
    ("where", "count"),
    [
        pytest.param("move", 1, id="after-the-rewrite-before-any-move"),
        pytest.param("move", 3, id="between-moves"),
        pytest.param("link", 2, id="inside-a-move"),
        pytest.param("collect", 2, id="while-verifying-collection"),
    ],
)
def test_an_apply_killed_partway_blocks_the_next_apply_and_undo_restores_the_tree(
    make_project: MakeProject,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
    count: int,
) -> None:
    root = make_project(FILES, ini="pythonpath = .\n")
    original = tree_digest(root)
    original_dirs = tree_dirs(root)
    work = tmp_path / "work"
    work.mkdir()

    kill_partway(root, work, where, count)

    assert tree_digest(root) != original  # the kill left the tree (half-)reorganized
    assert_apply_is_refused(root, capsys)

    assert main(["organize", str(root), "--undo", "--python", sys.executable]) == 0
    assert "unfinished apply" in capsys.readouterr().out
    assert tree_digest(root) == original
    assert tree_dirs(root) == original_dirs

    assert main(["organize", str(root), "--apply", "--python", sys.executable]) == 0
    assert "applied:" in capsys.readouterr().out
    assert (root / "tests/unit/auth/test_tokens.py").is_file()
    assert not (root / "test_tokens.py").exists()


def test_an_undo_killed_partway_blocks_an_apply_and_a_second_undo_finishes_it(
    make_project: MakeProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(FILES, ini="pythonpath = .\n")
    original = tree_digest(root)
    original_dirs = tree_dirs(root)
    assert main(["organize", str(root), "--apply", "--python", sys.executable]) == 0
    capsys.readouterr()
    work = tmp_path / "work"
    work.mkdir()

    kill_partway(root, work, "undo-move", 2, flag="--undo")

    assert tree_digest(root) != original
    assert_apply_is_refused(root, capsys)
    assert main(["organize", str(root), "--undo", "--python", sys.executable]) == 0
    assert "restored byte for byte" in capsys.readouterr().out
    assert tree_digest(root) == original
    assert tree_dirs(root) == original_dirs


def test_a_dry_run_over_an_unfinished_apply_warns_and_changes_nothing(
    make_project: MakeProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(FILES, ini="pythonpath = .\n")
    work = tmp_path / "work"
    work.mkdir()
    kill_partway(root, work, "move", 2)
    tree = tree_digest(root)

    assert main(["organize", str(root), "--python", sys.executable]) == 0

    assert "warning: an earlier apply did not finish" in capsys.readouterr().err
    assert tree_digest(root) == tree
