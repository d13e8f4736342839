"""A write that fails anywhere in `organize --apply` or `--undo` leaves the tree as it was.

Each test fails the k-th write call of the command (see `tests.faults.FailingWrites`), for
every k until the command goes through: the tree is then byte for byte as before (its
`.remediation/` folder included), the command printed one line and no traceback, and
exited 1. When the rollback is made to fail too, the line names the undo, which finishes it.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing_lib.organizer import TestFileOrganizer, execute_plan
from testing_lib.organizer import execute as execute_module
from testing_lib.organizer.journal import latest_applied
from testing_lib.organizer.models import OrganizationPlan
from testing_lib.target_writes import WriteFailed
from tests.faults import (
    FailingWrites,
    cache_organizer_reads,
    differences,
    fill,
    remediate,
    snapshot,
    tmpfs,
)
from tests.organizer.conftest import MakeProject
from tests.organizer.test_org_execute import FILES

REPO = Path(__file__).resolve().parents[2]
MANY = 10_000  # fail every write call from the chosen one on
STRIDE = 3  # where every call was tested once already: every third call
LEGACY_STRIDE = 7  # ≈300 write calls: every seventh, each kind of step among them


@pytest.fixture
def project(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache_organizer_reads(monkeypatch)
    return make_project(FILES, ini="pythonpath = .\n")


def organize(root: Path, *flags: str) -> list[str]:
    return ["organize", str(root), *flags, "--python", sys.executable]


def steps(calls: list[str]) -> list[str]:
    """Write calls with the run's journal folder named `ID` (each run has its own) and the
    random part of temporary files' names `TMP`."""
    named = (re.sub(r"organize/[^/ ]+", "organize/ID", call) for call in calls)
    return [re.sub(r"\.[a-z0-9_]{8}\.tmp$", ".TMP.tmp", call) for call in named]


def assert_one_line(printed: pytest.CaptureResult[str], *expected: str) -> str:
    """The command's complaint: one line on stderr, no traceback anywhere."""
    assert "Traceback" not in printed.out + printed.err
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1, printed.err
    for part in expected:
        assert part in lines[0]
    return lines[0]


def test_a_full_disk_at_any_step_of_an_apply_changes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = snapshot(project)
    failed: list[str] = []

    for k in itertools.count(1):
        with monkeypatch.context() as patch:
            faults = FailingWrites(project, [k]).install(patch)
            code = remediate(*organize(project, "--apply"))
        printed = capsys.readouterr()
        if not faults.reached(k):  # the apply went through without a k-th write
            break
        failed += faults.failed
        line = assert_one_line(
            printed,
            f"error: the reorganization of {project} failed: No space left on device (ENOSPC) at ",
            "; nothing was changed: free space on that filesystem, then run the command again",
        )
        assert code == 1, line
        assert differences(original, snapshot(project)) == [], (k, faults.failed)

    assert code == 0
    assert "applied:" in printed.out
    # every kind of step failed once: the first journal write, a backup, a rewrite, a
    # folder made, a move, the last journal update
    kinds = steps(failed)
    journal = ".remediation/organize/ID"
    assert kinds[:3] == ["mkdir .remediation", "mkdir .remediation/organize", f"mkdir {journal}"]
    assert f"fsync {journal}/backup/00000.bak" in kinds
    assert any(f.startswith("replace .test_tokens.py.") for f in kinds)  # the rewrite
    assert "mkdir tests/unit/auth" in kinds
    assert "link test_tokens.py" in kinds
    assert "unlink test_tokens.py" in kinds
    assert any(f.startswith(f"replace {journal}/.journal.json.") for f in kinds)
    assert kinds[-1] == f"fsync {journal}", kinds  # the last journal update ("applied")
    assert k - 1 == len(failed), kinds


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        pytest.param(errno.EIO, "Input/output error (EIO) at", id="io-error"),
        pytest.param(errno.EACCES, "give this user write access there", id="permission"),
    ],
)
def test_other_failed_writes_of_an_apply_change_nothing_and_say_what_to_do(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: int,
    advice: str,
) -> None:
    original = snapshot(project)
    for k in itertools.count(1, STRIDE):
        with monkeypatch.context() as patch:
            faults = FailingWrites(project, [k], error).install(patch)
            code = remediate(*organize(project, "--apply"))
        printed = capsys.readouterr()
        if not faults.reached(k):
            break
        assert_one_line(printed, "nothing was changed", advice)
        assert code == 1
        assert differences(original, snapshot(project)) == [], (k, faults.failed)
    assert code == 0


def test_a_write_failing_at_any_step_of_an_undo_leaves_the_applied_tree(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = snapshot(project)
    assert remediate(*organize(project, "--apply")) == 0
    applied = snapshot(project)
    capsys.readouterr()

    for k in itertools.count(1):
        with monkeypatch.context() as patch:
            faults = FailingWrites(project, [k]).install(patch)
            code = remediate(*organize(project, "--undo"))
        printed = capsys.readouterr()
        if code == 0:  # the calls left are the clean-up once the undo is recorded: best effort
            assert all(f.startswith("unlink .remediation/organize/") for f in faults.failed)
            break
        assert_one_line(
            printed, f"the undo of the reorganization of {project} failed: ", "nothing was changed"
        )
        assert code == 1
        assert differences(applied, snapshot(project)) == [], (k, faults.failed)

    assert code == 0
    assert "restored byte for byte" in printed.out
    assert k > 20  # the journal's first update, every move back, every restored file, ...
    assert differences(original, snapshot(project, skip=[".remediation"])) == []


def test_when_the_rollback_fails_too_the_line_names_the_undo_that_finishes_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = snapshot(project)
    assert remediate(*organize(project, "--apply")) == 0
    assert remediate(*organize(project, "--undo")) == 0  # .remediation/organize/ stays
    with monkeypatch.context() as patch:
        counted = FailingWrites(project, []).install(patch)
        assert remediate(*organize(project, "--apply")) == 0
    assert remediate(*organize(project, "--undo")) == 0
    capsys.readouterr()
    stuck = 0

    for k in range(1, len(counted.calls) + 1, STRIDE):
        with monkeypatch.context() as patch:  # the k-th write fails, and every one after it
            FailingWrites(project, range(k, k + MANY)).install(patch)
            code = remediate(*organize(project, "--apply"))
        printed = capsys.readouterr()
        assert code == 1
        if "its rollback could not finish" not in printed.err:
            # nothing to roll back yet: the tree is whole (an empty .remediation/organize
            # the failing disk would not let it remove may stay)
            assert_one_line(printed, "nothing was changed")
            assert differences(original, snapshot(project, skip=[".remediation"])) == []
            continue
        stuck += 1
        assert_one_line(printed, f"then run `remediate organize {project} --undo`")
        assert latest_applied(project) is not None, (k, printed.err)  # the journal undo needs

        assert remediate(*organize(project, "--undo")) == 0, capsys.readouterr()
        capsys.readouterr()
        assert differences(original, snapshot(project, skip=[".remediation"])) == [], k
    assert stuck > 10


def test_failed_writes_of_an_apply_of_the_legacy_suite_change_nothing(
    legacy_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The messy example suite: every seventh write call, and every folder removal, fails
    once (the library's apply: the CLI is covered on the small project above)."""
    cache_organizer_reads(monkeypatch)
    rewrite = execute_module._rewritten
    done: dict[tuple[str, bytes], bytes] = {}

    def rewritten(plan: OrganizationPlan, source: str, original: bytes) -> bytes:
        """The same libcst rewrites at every try: made once."""
        if (source, original) not in done:
            done[source, original] = rewrite(plan, source, original)
        return done[source, original]

    monkeypatch.setattr(execute_module, "_rewritten", rewritten)

    def planned(root: Path) -> OrganizationPlan:
        organizer = TestFileOrganizer(root, python=sys.executable)
        organizer.create_organization_plan()
        assert organizer.plan is not None
        return organizer.plan

    rehearsal = tmp_path / "rehearsal"  # the same suite, to count the apply's write calls
    shutil.copytree(legacy_copy, rehearsal)
    with monkeypatch.context() as patch:
        counted = FailingWrites(rehearsal, []).install(patch)
        assert execute_plan(planned(rehearsal), apply=True, python=sys.executable).applied
    calls = steps(counted.calls)
    assert len(calls) > 250  # 16 moves, 8 rewrites, 10 folders made and 2 removed, journaled
    chosen = sorted(
        {*range(1, len(calls) + 1, LEGACY_STRIDE), len(calls)}
        | {number for number, call in enumerate(calls, 1) if call.startswith("rmdir ")}
    )
    plan = planned(legacy_copy)
    original = snapshot(legacy_copy)

    for k in chosen:
        with monkeypatch.context() as patch:
            faults = FailingWrites(legacy_copy, [k]).install(patch)
            with pytest.raises(WriteFailed) as failed:
                execute_plan(plan, apply=True, python=sys.executable)
        assert steps(faults.failed) == [calls[k - 1]]
        assert failed.value.whole, failed.value.line
        assert differences(original, snapshot(legacy_copy)) == [], (k, faults.failed)

    result = execute_plan(plan, apply=True, python=sys.executable)
    assert result.applied, result.message
    assert not result.rolled_back, result.message


def test_a_rollback_stopped_after_restoring_a_rewritten_file_is_finished_by_undo(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rewritten file got its backup back by a rename (the backup is gone), then the
    rollback stopped: undo reads that from the disk and finishes the rest."""
    original = snapshot(project)
    assert remediate(*organize(project, "--apply")) == 0
    assert remediate(*organize(project, "--undo")) == 0  # .remediation/organize/ stays
    with monkeypatch.context() as patch:
        counted = FailingWrites(project, []).install(patch)
        assert remediate(*organize(project, "--apply")) == 0
    assert remediate(*organize(project, "--undo")) == 0
    last = len(counted.calls)  # the apply's last write: its journal's "applied" update
    with monkeypatch.context() as patch:
        rehearsal = FailingWrites(project, [last]).install(patch)
        assert remediate(*organize(project, "--apply")) == 1
    rollback = rehearsal.calls[last:]
    put_back = next(i for i, c in enumerate(rollback) if "/backup/" in c and c[:7] == "replace")
    made = next(i for i, c in enumerate(rollback) if c.startswith("rmdir tests/unit"))
    assert put_back < made
    capsys.readouterr()

    with monkeypatch.context() as patch:
        FailingWrites(project, [last, last + 1 + made]).install(patch)
        assert remediate(*organize(project, "--apply")) == 1
    line = assert_one_line(capsys.readouterr(), "its rollback could not finish")
    assert line.endswith(f"then run `remediate organize {project} --undo` to restore the tree")
    assert (project / "test_tokens.py").read_bytes() == original["test_tokens.py"]
    journal = latest_applied(project)
    assert journal is not None
    assert not list((journal / "backup").iterdir())  # consumed by the rename

    assert remediate(*organize(project, "--undo")) == 0
    assert differences(original, snapshot(project, skip=[".remediation"])) == []


def test_a_full_filesystem_at_any_point_of_an_apply_changes_nothing(
    make_project: MakeProject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with tmpfs(tmp_path / "small", "2m") as disk:
        root = make_project(FILES, name="small/proj", ini="pythonpath = .\n")
        original = snapshot(root)
        filler = fill(disk, leave=0)

        # full before it starts: the real command, in its own process
        ran = subprocess.run(
            [sys.executable, "-m", "cli.main", *organize(root, "--apply")],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )
        assert ran.returncode == 1, ran.stderr
        line = ran.stderr.strip()
        assert len(line.splitlines()) == 1
        assert "Traceback" not in ran.stdout + line
        assert "No space left on device (ENOSPC)" in line
        assert "nothing was changed" in line
        assert differences(original, snapshot(root)) == []

        # then with a little more room each time, until the apply fits
        cache_organizer_reads(monkeypatch)
        capsys.readouterr()
        for pages in itertools.count(1):
            filler.unlink()
            fill(disk, leave=pages * 4096)
            code = remediate(*organize(root, "--apply"))
            printed = capsys.readouterr()
            if code == 0:
                break
            assert_one_line(printed, "No space left on device (ENOSPC)", "nothing was changed")
            assert code == 1
            assert differences(original, snapshot(root)) == [], pages
        assert pages > 1
        assert "applied:" in printed.out
        filler.unlink()
        assert remediate(*organize(root, "--undo")) == 0
        assert differences(original, snapshot(root, skip=[".remediation"])) == []
