"""A block's deadline and per-test limit hold for every run started inside it."""

from __future__ import annotations

import io
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest
from testing_lib.runner.limits import (
    TimeLimitExhausted,
    bounded,
    current_limits,
    run_limits,
)
from testing_lib.runner.process import run_in_process_group


def test_without_a_block_a_timeout_is_kept() -> None:
    assert bounded(123.0) == 123.0
    assert current_limits().test_timeout_s is None


def test_an_inner_block_only_shortens_the_deadline() -> None:
    with run_limits(seconds=100, test_timeout_s=5, label="outer") as outer:
        with run_limits(seconds=10_000) as inner:
            assert inner.deadline == outer.deadline
            assert inner.test_timeout_s == 5
            assert inner.label == "outer"
        with run_limits(seconds=1) as shorter:
            assert shorter.deadline is not None
            assert outer.deadline is not None
            assert shorter.deadline < outer.deadline
            assert bounded(50) <= 1
    assert current_limits().deadline is None


def test_no_run_starts_once_the_deadline_has_passed() -> None:
    with (
        run_limits(seconds=0, label="the phase's time limit"),
        pytest.raises(TimeLimitExhausted, match="no time left within the phase's time limit"),
    ):
        run_in_process_group(
            [sys.executable, "-c", "pass"],
            cwd=Path.cwd(),
            env={},
            output=io.BytesIO(),
            timeout_s=60,
        )


def test_a_run_is_stopped_at_the_deadline_not_at_its_own_timeout(tmp_path: Path) -> None:
    output = (tmp_path / "out").open("wb")
    with run_limits(seconds=1):
        outcome = run_in_process_group(
            [sys.executable, "-c", "import threading; threading.Event().wait()"],
            cwd=tmp_path,
            env={},
            output=output,
            timeout_s=3600,
        )
    output.close()
    assert outcome.timed_out


def test_the_limits_follow_into_a_thread_started_in_a_copy_of_the_context() -> None:
    import contextvars

    seen: list[float | None] = []
    with run_limits(test_timeout_s=7):
        thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(lambda: seen.append(current_limits().test_timeout_s),),
        )
        thread.start()
        thread.join()
    assert seen == [7]


def test_a_pytest_run_gets_the_blocks_per_test_limit(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_hang.py").write_text(
        textwrap.dedent(
            """
            import threading

            def test_hangs():
                threading.Event().wait()
            """
        )
    )
    with run_limits(test_timeout_s=1):
        suite = run_pytest(cwd=tmp_path, selection=["."], timeout_s=600)

    (result,) = suite.results
    assert result.status is TestStatus.FAILED
    assert "Timeout" in (result.error_message or "")
    assert not suite.timed_out
