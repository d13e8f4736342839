"""A long isolation run says what it does: its stage, how far through it, for a terminal's
status line or as a line every interval into a log."""

from __future__ import annotations

import threading

import pytest

from testing_lib.isolation.validation_progress import IsolationProgress, heartbeat


def test_the_line_names_the_stage_and_how_far_through_it_is() -> None:
    progress = IsolationProgress()
    assert progress.line().startswith("collecting the suite, 0m")
    progress.stage("running the suite in 4 orders", 4)
    progress.step()
    assert progress.line().startswith("running the suite in 4 orders (1 of 4 done), ")
    progress.stage("replaying pairs in new pytest processes")
    assert "done" not in progress.line()


def test_a_heartbeat_emits_the_current_line_until_the_block_ends() -> None:
    progress = IsolationProgress()
    progress.stage("locating polluters", 3)
    lines: list[str] = []
    seen_two = threading.Event()

    def emit(line: str) -> None:
        lines.append(line)
        if len(lines) >= 2:
            seen_two.set()

    with heartbeat(progress, emit, every_s=0.01):
        assert seen_two.wait(timeout=30)
    assert all(line.startswith("locating polluters (0 of 3 done)") for line in lines)
    # the block's end stops it: its thread is gone
    assert not [t for t in threading.enumerate() if t.name == "isolation-progress"]


def test_off_a_terminal_the_first_line_comes_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    from rich.status import Status

    from cli.console import err
    from cli.progress_lines import showing_progress

    progress = IsolationProgress()
    progress.stage("running the phases on a scratch copy")
    with Status("", console=err) as status, showing_progress(progress, status):
        pass  # ends long before the first interval (30 s)

    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("… ")]
    assert len(lines) == 1
    assert lines[0].startswith("… running the phases on a scratch copy, 0m00s elapsed")
