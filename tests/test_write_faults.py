"""A write that fails anywhere in a journaled fix leaves the target's files as they were.

The codemod journal is the one behind `remediate fix http-clients --apply`, `remediate
isolation --fix --apply` and `remediate fix undo`. Each test fails the k-th write call of
the command (see `tests.faults.FailingWrites`), for every k until the command goes through:
the target is then byte for byte as before, the command printed one line and no
traceback, and exited 1. When the rollback is made to fail too, the line names the undo,
which finishes it. With root, the same on a real full filesystem (a small tmpfs).
"""

from __future__ import annotations

import errno
import itertools
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.diagnose import resolve_suite
from testing_lib.codemods import CodemodPlan, FilePlan, apply_plan, plan_http_clients, undo_run
from testing_lib.isolation.fix_models import FixReport, PairFix
from testing_lib.isolation.fix_review import save_reviewed
from testing_lib.isolation.order_models import IsolationReport
from testing_lib.target_writes import (
    RunFolder,
    WriteCommand,
    WriteFailed,
    describe,
    rolled_back_on_failure,
)
from tests.faults import (
    FailingWrites,
    cache_codemod_plans,
    differences,
    fill,
    remediate,
    snapshot,
    tmpfs,
)
from tests.http.conftest import write_files
from tests.http.test_http_codemod import OLD_STYLE

REPO = Path(__file__).resolve().parents[1]
MANY = 10_000  # fail every write call from the chosen one on
SUITE = {
    "tests/test_old.py": OLD_STYLE,
    "tests/api/test_more.py": OLD_STYLE.replace("test_health", "test_more_health"),
    "tests/test_plain.py": "def test_plain():\n    assert True\n",
}


PAIRS = {
    "tests/test_a_polluter.py": "import os\n\ndef test_sets():\n    os.environ['X'] = '1'\n",
    "tests/test_b_victim.py": "import os\n\ndef test_reads():\n    assert 'X' not in os.environ\n",
}


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache_codemod_plans(monkeypatch)
    return write_files(tmp_path / "suite", SUITE)


def assert_one_line(printed: pytest.CaptureResult[str], *expected: str) -> str:
    """The command's complaint: one line on stderr, no traceback anywhere."""
    assert "Traceback" not in printed.out + printed.err
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1, printed.err
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]


def run_id_in(text: str) -> str:
    found = re.search(r"remediate fix undo \S+ (\S+?)`?(?:\s|$)", text)
    assert found is not None, text
    return found.group(1)


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        pytest.param(errno.ENOSPC, "free space on that filesystem", id="disk-full"),
        pytest.param(errno.EACCES, "give this user write access there", id="permission"),
    ],
)
def test_a_write_failing_at_any_step_of_a_codemod_apply_changes_nothing(
    suite: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: int,
    advice: str,
) -> None:
    original = snapshot(suite)
    failed: list[str] = []

    for k in itertools.count(1):
        with monkeypatch.context() as patch:
            faults = FailingWrites(suite, [k], error).install(patch)
            code = remediate("fix", "http-clients", str(suite), "--apply")
        printed = capsys.readouterr()
        if not faults.reached(k):
            break
        failed += faults.failed
        assert_one_line(
            printed,
            f"error: the http-clients codemod on {suite} failed: ",
            f"; nothing was changed: {advice}, then run the command again",
        )
        assert code == 1
        assert differences(original, snapshot(suite)) == [], (k, faults.failed)

    assert code == 0
    assert "rewrote 6 client(s) in 2 file(s)" in printed.out
    kinds = " ".join(failed)
    assert failed[0] == "mkdir .remediation"  # the first journal write
    assert "backups/0001-test_old.py" in kinds  # a backup
    assert "replace tests/api/.test_more.py." in kinds  # a rewrite
    assert "replace tests/.test_old.py." in kinds
    assert re.search(r"fsync \.remediation/codemods/[^/ ]+$", failed[-1])  # the last update


def test_a_write_failing_at_any_step_of_a_codemod_undo_leaves_the_files_as_the_codemod_wrote(
    suite: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = snapshot(suite, skip=[".remediation"])
    assert remediate("fix", "http-clients", str(suite), "--apply") == 0
    applied = snapshot(suite)
    capsys.readouterr()

    for k in itertools.count(1):
        with monkeypatch.context() as patch:
            faults = FailingWrites(suite, [k]).install(patch)
            code = remediate("fix", "undo", str(suite))
        printed = capsys.readouterr()
        if code == 0:  # the calls left clean up once the undo is recorded: best effort
            assert all(f.endswith(".codemod") for f in faults.failed), faults.failed
            break
        assert_one_line(printed, "error: the undo of codemod run ", "nothing was changed")
        assert code == 1
        assert differences(applied, snapshot(suite)) == [], (k, faults.failed)

    assert k > 10
    assert "undid run" in printed.out
    assert "2 file(s) restored" in printed.out
    assert differences(original, snapshot(suite, skip=[".remediation"])) == []


def test_when_a_codemod_rollback_fails_too_fix_undo_finishes_it(
    suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = snapshot(suite)
    rehearsal = write_files(tmp_path / "rehearsal", SUITE)
    with monkeypatch.context() as patch:
        counted = FailingWrites(rehearsal, []).install(patch)
        assert remediate("fix", "http-clients", str(rehearsal), "--apply") == 0
    capsys.readouterr()
    stuck = 0

    for k in range(1, len(counted.calls) + 1):
        with monkeypatch.context() as patch:  # the k-th write fails, and every one after it
            faults = FailingWrites(suite, range(k, k + MANY)).install(patch)
            code = remediate("fix", "http-clients", str(suite), "--apply")
        printed = capsys.readouterr()
        if not faults.reached(k):  # .remediation/codemods/ exists now: fewer writes
            assert code == 0
            break
        assert code == 1
        if "its rollback could not finish" not in printed.err:
            assert_one_line(printed, "nothing was changed")
            assert differences(original, snapshot(suite, skip=[".remediation"])) == []
            continue
        stuck += 1
        line = assert_one_line(printed, f"then run `remediate fix undo {suite} ")
        run_id = run_id_in(line)

        assert remediate("fix", "undo", str(suite), run_id) == 0, capsys.readouterr()
        capsys.readouterr()
        assert differences(original, snapshot(suite, skip=[".remediation"])) == [], (k, line)
    assert stuck > 3


def failure_of(call: Callable[[], object]) -> WriteFailed | None:
    """The `WriteFailed` that `call` raised (None when it went through)."""
    try:
        call()
    except WriteFailed as exc:
        return exc
    return None


def mixed_plan(root: Path) -> CodemodPlan:
    """The codemod's two rewrites, each after a file to create (an empty one, then not)."""
    first, second = sorted(plan_http_clients(root).changes, key=lambda change: change.relative)
    package = FilePlan(root / "tests/__init__.py", "tests/__init__.py", b"", b"", created=True)
    conftest = FilePlan(
        root / "tests/api/conftest.py", "tests/api/conftest.py", b"", b"X = 1\n", created=True
    )
    return CodemodPlan(root=root, files=[package, first, conftest, second])


def test_a_write_failing_at_any_step_of_an_apply_that_creates_files_changes_nothing(
    suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = mixed_plan(suite)
    original = snapshot(suite)
    failed: list[str] = []

    for k in itertools.count(1):
        with monkeypatch.context() as patch:
            faults = FailingWrites(suite, [k]).install(patch)
            failure = failure_of(lambda: apply_plan(plan, codemod="cures"))
        if failure is None:
            break
        assert failure.whole, (k, failure.line)
        assert differences(original, snapshot(suite)) == [], (k, faults.failed)
        failed += faults.failed

    assert not faults.reached(k)
    assert (suite / "tests/__init__.py").read_bytes() == b""
    assert (suite / "tests/api/conftest.py").read_bytes() == b"X = 1\n"
    kinds = " ".join(failed)
    assert "fsync tests/.__init__.py." in kinds  # a new file's bytes
    assert "link tests/api/.conftest.py." in kinds  # a new file put in place
    assert "unlink tests/api/.conftest.py." in kinds  # its temporary name removed
    assert "replace tests/.test_old.py." in kinds  # a rewrite


def test_when_the_rollback_of_an_apply_that_creates_files_fails_too_undo_finishes_it(
    suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = mixed_plan(suite)
    original = snapshot(suite)
    stuck = 0

    for k in itertools.count(1):
        with monkeypatch.context() as patch:  # the k-th write fails, and every one after it
            faults = FailingWrites(suite, range(k, k + MANY)).install(patch)
            failure = failure_of(lambda: apply_plan(plan, codemod="cures"))
        if failure is None:
            break
        if not failure.whole:
            stuck += 1
            assert "remediate fix undo" in failure.line
            undo_run(suite, run_id_in(failure.line))
        # a folder the rollback could not remove stays empty, as the engine logs
        assert differences(original, snapshot(suite, skip=[".remediation"])) == [], (k, failure)
        shutil.rmtree(suite / ".remediation", ignore_errors=True)  # each k: the same tree

    assert not faults.reached(k)
    assert stuck > 3


def test_a_write_failing_at_any_step_of_an_undo_puts_back_the_files_it_removed(
    suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = snapshot(suite)
    apply_plan(mixed_plan(suite), codemod="cures")
    applied = snapshot(suite)

    for k in itertools.count(1):
        with monkeypatch.context() as patch:
            faults = FailingWrites(suite, [k]).install(patch)
            failure = failure_of(lambda: undo_run(suite))
        if failure is None:  # the calls left clean up once the undo is recorded: best effort
            assert all(f.endswith(".codemod") for f in faults.failed), faults.failed
            break
        assert failure.whole, (k, failure.line)
        assert differences(applied, snapshot(suite)) == [], (k, faults.failed)

    assert k > 10
    assert differences(original, snapshot(suite, skip=[".remediation"])) == []


def test_a_write_failing_at_any_step_of_isolation_fix_apply_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`remediate isolation --fix --apply` writing the fixes its dry run showed (saved as
    that dry run saves them: no validation runs here)."""
    root = write_files(tmp_path / "pairs", PAIRS)
    polluter = root / "tests/test_a_polluter.py"
    patched = polluter.read_bytes() + b"\n\n# the proven fixture would go here\n"
    plan = CodemodPlan(
        root=root,
        files=[FilePlan(polluter, "tests/test_a_polluter.py", polluter.read_bytes(), patched)],
    )
    python = resolve_suite(root, None).python
    options = {"orders": 2, "seed": 1, "victims": [], "python": python}
    pair = PairFix(
        victim="tests/test_b_victim.py::test_reads",
        polluter="tests/test_a_polluter.py::test_sets",
        status="proven",
        file="tests/test_a_polluter.py",
    )
    report = IsolationReport(root=str(root), python=python, seed=1, isolation_score=100.0)
    save_reviewed(root, options, report, FixReport(root=str(root), fixes=[pair]), plan)
    command = ("isolation", str(root), "--orders", "2", "--seed", "1", "--fix", "--apply")
    lock = ".remediation/run.lock"  # the target's lock: rewritten by every run
    original = snapshot(root, skip=[lock])

    for k in itertools.count(1):
        with monkeypatch.context() as patch:
            faults = FailingWrites(root, [k]).install(patch)
            code = remediate(*command)
        printed = capsys.readouterr()
        if not faults.reached(k):
            break
        assert code == 1, (k, faults.failed, printed)
        assert_one_line(printed, " failed: No space left on device (ENOSPC)", "nothing was changed")
        assert differences(original, snapshot(root, skip=[lock])) == [], (k, faults.failed)

    assert code == 0, printed
    assert "applying the fixes of the dry run" in printed.out
    assert "patched tests/test_a_polluter.py" in printed.out
    assert polluter.read_bytes() == patched
    assert k > 10


def test_a_failed_first_journal_write_leaves_no_folder(tmp_path: Path) -> None:
    root = tmp_path / "target"
    root.mkdir()
    run = RunFolder(root / ".remediation" / "codemods" / "run-1")
    command = WriteCommand("the test command", root, finish="remediate fix undo x run-1")

    def first_write() -> None:
        run.create("backups")
        raise OSError(errno.ENOSPC, "No space left on device", str(run.path / "journal.json"))

    with pytest.raises(Exception, match="nothing was changed") as failed:
        with rolled_back_on_failure(command, run.discard):
            first_write()
    assert list(root.iterdir()) == []
    assert "at .remediation/codemods/run-1/journal.json" in str(failed.value)


def test_a_failure_names_the_error_and_the_file_relative_to_the_target(tmp_path: Path) -> None:
    error = OSError(errno.EIO, "Input/output error", str(tmp_path / "tests" / "x.py"))

    assert describe(error, tmp_path) == "Input/output error (EIO) at tests/x.py"
    assert describe(OSError("git mv a b failed: no"), tmp_path) == "git mv a b failed: no"


def test_with_v_the_traceback_is_shown_too(
    suite: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with monkeypatch.context() as patch:
        FailingWrites(suite, [5]).install(patch)
        assert remediate("-v", "fix", "http-clients", str(suite), "--apply") == 1
    printed = capsys.readouterr()
    assert "Traceback" in printed.err
    assert printed.err.strip().splitlines()[-1].startswith("error: the http-clients codemod on")


def test_a_full_filesystem_at_any_point_of_a_codemod_apply_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with tmpfs(tmp_path / "small", "1m") as disk:
        root = write_files(disk / "suite", SUITE)
        original = snapshot(root)
        filler = fill(disk, leave=0)

        # full before it starts: the real command, in its own process
        ran = subprocess.run(
            [sys.executable, "-m", "cli.main", "fix", "http-clients", str(root), "--apply"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 1, ran.stderr
        line = ran.stderr.strip()
        assert len(line.splitlines()) == 1
        assert "Traceback" not in ran.stdout + line
        assert "No space left on device (ENOSPC)" in line
        assert "nothing was changed" in line
        assert differences(original, snapshot(root)) == []

        for pages in itertools.count(1):  # a little more room each time, until it fits
            filler.unlink()
            filler = fill(disk, leave=pages * 4096)
            code = remediate("fix", "http-clients", str(root), "--apply")
            printed = capsys.readouterr()
            if code == 0:
                break
            assert_one_line(printed, "No space left on device (ENOSPC)", "nothing was changed")
            assert code == 1
            assert differences(original, snapshot(root)) == [], pages
        assert pages > 1
        assert "rewrote 6 client(s) in 2 file(s)" in printed.out
        filler.unlink()
        assert remediate("fix", "undo", str(root)) == 0
        assert differences(original, snapshot(root, skip=[".remediation"])) == []
