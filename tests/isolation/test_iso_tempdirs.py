"""The isolation worker's `rem-iso-*` scratch folder is removed however the validation ends."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from testing_lib.exceptions import RunnerError
from testing_lib.isolation import TestIsolationValidator, worker
from testing_lib.isolation.worker import ForkWorker

from .conftest import MakeSuite

SUITE = {
    "tests/test_a.py": """
        def test_one():
            assert True

        def test_two():
            assert True
    """,
}


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder as the process's temporary directory (kept short: it holds a socket)."""
    root = tmp_path / "t"
    root.mkdir()
    monkeypatch.setenv("TMPDIR", str(root))
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _left(temp_root: Path) -> list[str]:
    return sorted(p.name for p in temp_root.glob("rem-iso-*"))


def test_a_worker_that_cannot_start_leaves_no_scratch_folder(
    make_suite: MakeSuite, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_start(*args: object, **kwargs: object) -> None:
        assert _left(temp_root), "the worker's scratch folder exists when it starts pytest"
        raise OSError("no such interpreter")

    monkeypatch.setattr(worker, "run_in_process_group", cannot_start)

    report = TestIsolationValidator(make_suite(SUITE), orders=1, seed=1).validate_isolation()

    assert report.error is not None
    assert "no such interpreter" in report.error
    assert _left(temp_root) == []


def test_a_start_that_fails_once_pytest_runs_leaves_no_scratch_folder(
    make_suite: MakeSuite, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(self: ForkWorker, reader: object) -> None:
        raise RunnerError("the isolation worker sent something unreadable")

    monkeypatch.setattr(ForkWorker, "_read_ready", unreadable)

    report = TestIsolationValidator(make_suite(SUITE), orders=1, seed=1).validate_isolation()

    assert report.error == "the isolation worker sent something unreadable"
    assert _left(temp_root) == []


def test_a_validation_that_raises_leaves_no_scratch_folder(
    make_suite: MakeSuite, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: TestIsolationValidator, *args: object) -> None:
        assert _left(temp_root), "the worker's scratch folder exists while it runs"
        raise RuntimeError("the validation crashed")

    monkeypatch.setattr(TestIsolationValidator, "_validate", crash)

    with pytest.raises(RuntimeError, match="the validation crashed"):
        TestIsolationValidator(make_suite(SUITE), orders=1, seed=1).validate_isolation()

    assert _left(temp_root) == []


def test_the_scratch_folder_is_removed_when_stopping_the_worker_raises(
    make_suite: MakeSuite, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_stop = ForkWorker._stop

    def interrupted(self: ForkWorker) -> None:
        real_stop(self)
        raise RuntimeError("stopping the worker failed")

    monkeypatch.setattr(ForkWorker, "_stop", interrupted)

    with pytest.raises(RuntimeError, match="stopping the worker failed"):
        TestIsolationValidator(make_suite(SUITE), orders=1, seed=1).validate_isolation()

    assert _left(temp_root) == []


def test_each_forked_run_gets_its_own_temp_folder(make_suite: MakeSuite, tmp_path: Path) -> None:
    """Tests that delete and re-create one fixed folder under the temp dir never see
    another run's: every forked run has a private TMPDIR, and tmp_path follows it."""
    record = tmp_path / "seen.txt"
    test = """
        import os, shutil, tempfile

        def test_{n}(tmp_path):
            fixed = os.path.join(tempfile.gettempdir(), "fixed_scratch")
            shutil.rmtree(fixed, ignore_errors=True)
            os.makedirs(fixed)
            with open({record!r}, "a") as out:
                out.write(tempfile.gettempdir() + " " + str(tmp_path) + "\\n")
    """
    root = make_suite(
        {f"tests/test_{n}.py": test.format(n=n, record=str(record)) for n in range(6)}
    )

    report = TestIsolationValidator(root, orders=2, seed=1, jobs=2).validate_isolation()

    assert report.error is None
    assert report.order_dependent == []
    assert report.unconfirmed == []
    seen = [line.split() for line in record.read_text().splitlines()]
    temp_dirs = {temp for temp, _ in seen}
    assert len(temp_dirs) >= 2  # one per forked run
    assert all(temp.endswith(".jsonl.tmp") for temp in temp_dirs)
    assert all(any(path.startswith(temp) for temp in temp_dirs) for _, path in seen)
