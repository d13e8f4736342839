"""Cures approved in the Prefect UI, against the session's real Prefect API: a run with
`cures=ask` pauses with the proven cures in its Resume form; the test answers as the UI
does (`resume_flow_run` with `run_input`) and the run applies, gates again and goes on.
Unanswered, it times out and ends Failed naming the proposal; when the target changed
while it waited, the approved proposal is refused."""

from __future__ import annotations

import contextvars
import io
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import MakeTarget
from tests.test_nightly_notify import Receiver, read_events

pytestmark = [pytest.mark.slow, pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

DEADLINE_S = 240.0
ASYNC_TEST = "import asyncio\n\n\nasync def test_awaits():\n    await asyncio.sleep(0)\n"
PYPROJECT = (
    '[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = "function"\n\n'
    "[tool.remediation]\n"
)
FREE = """
import sys
from pathlib import Path
from testing_lib.locking import target_lock
with target_lock(Path(sys.argv[1]), wait_s=0):
    print("free")
"""


def sick_target(make_target: MakeTarget, name: str) -> Path:
    """Four phases whose only failure is an unmarked async test (strict pytest-asyncio)."""
    return make_target({"tests/unit/test_async.py": ASYNC_TEST}, name=name, pyproject=PYPROJECT)


class InThread:
    """A flow called in a thread with this thread's Prefect settings; its final state."""

    def __init__(self, flow: Callable[..., Any], **parameters: Any) -> None:
        self.state: Any = None
        context = contextvars.copy_context()

        def call() -> None:
            self.state = context.run(flow, **parameters, return_state=True)

        self.thread = threading.Thread(target=call, daemon=True)
        self.thread.start()

    def finished(self) -> Any:
        self.thread.join(DEADLINE_S)
        assert not self.thread.is_alive(), f"the flow run did not finish in {DEADLINE_S:.0f} s"
        return self.state


def paused_run(started: InThread, flow_name: str, root: Path) -> Any:
    """The flow run of `root` once the API shows it Paused (polling the API's state)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    paused = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
    )
    deadline = time.monotonic() + DEADLINE_S
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                flow_run_filter=paused,
            )
            mine = [run for run in runs if run.parameters.get("target") == str(root)]
            if mine:
                return mine[0]
            assert started.thread.is_alive(), f"the run ended without pausing: {started.state}"
            assert time.monotonic() < deadline, f"no Paused run in {DEADLINE_S:.0f} s"
            time.sleep(0.5)  # polling the API, not waiting for time to pass


def form_of(flow_run_id: Any) -> dict[str, Any]:
    """The Resume form's JSON schema, as the UI reads it."""
    from prefect.client.orchestration import get_client
    from prefect.input.actions import read_flow_run_input
    from prefect.input.run_input import keyset_from_paused_state

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
    keyset = keyset_from_paused_state(state)
    schema: dict[str, Any] = read_flow_run_input(keyset["schema"], flow_run_id=flow_run_id)
    schema["description"] = read_flow_run_input(keyset["description"], flow_run_id=flow_run_id)
    return schema


def assert_target_free_and_idle(root: Path) -> None:
    """While the run waits: another process takes the target's lock at once, and no
    pytest runs under this process."""
    free = subprocess.run(
        [sys.executable, "-c", FREE, str(root)], capture_output=True, text=True, timeout=60
    )
    assert free.stdout.strip() == "free", free.stderr
    commands = [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True)]
    assert not [c for c in commands if "pytest" in c and str(root) in c], commands


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    webhook = Receiver()
    webhook.thread.start()
    try:
        yield webhook
    finally:
        webhook.server.shutdown()
        webhook.server.server_close()


@pytest.fixture
def approval_automation(receiver: Receiver) -> Iterator[None]:
    from deployments.notifications import (
        ensure_approval_notifications,
        remove_approval_notifications,
    )

    ensure_approval_notifications(receiver.url)
    try:
        yield
    finally:
        remove_approval_notifications()


def test_an_approved_cure_is_applied_the_gate_passes_and_later_phases_run(
    make_target: MakeTarget, receiver: Receiver, approval_automation: None
) -> None:
    from prefect.flow_runs import resume_flow_run

    from flows.remediation import full_remediation
    from testing_lib.cures.approval_events import AWAITING_APPROVAL

    since = datetime.now(UTC) - timedelta(minutes=1)
    root = sick_target(make_target, "approve-target")
    started = InThread(full_remediation, target=str(root), cures="ask", reuse_passed=False)

    run = paused_run(started, "full-remediation", root)
    (post,) = receiver.wait_for(lambda posts: len(posts) >= 1)
    assert post["subject"] == "approve-target: 1 proven cure(s) wait for approval"
    assert f"/runs/flow-run/{run.id}" in post["text"]
    assert "- 1. async-mode: 1 × " in post["text"]
    form = form_of(run.id)
    assert form["properties"]["cure_1"]["title"].startswith("1. async-mode: ")
    assert {"approve_all", "note"} <= set(form["properties"])
    assert "remediate fix apply" in form["description"]
    assert_target_free_and_idle(root)
    resume_flow_run(run.id, run_input={"cure_1": True, "note": "looks right"})
    state = started.finished()

    assert state.is_completed(), state.message
    report = state.result()
    assert [p.status.value for p in report.phases] == ["passed"] * 4
    foundation = report.phases[0]
    assert "cure(s) 1 of proposal " in foundation.reason
    assert "(looks right)" in foundation.reason
    assert "remediate fix undo" in foundation.reason
    assert foundation.suite.passed_tests == 3  # the async test runs now
    assert 'asyncio_mode = "auto"' in (root / "pyproject.toml").read_text()
    (event,) = read_events([AWAITING_APPROVAL], since, related=f"prefect.flow-run.{run.id}")
    assert event.payload["phase"] == "foundation"  # once per proposal: the only one


def test_an_unanswered_run_times_out_and_fails_naming_the_proposal(
    make_target: MakeTarget,
) -> None:
    from flows.remediation import full_remediation

    root = sick_target(make_target, "timeout-target")
    before = (root / "pyproject.toml").read_bytes()

    state = InThread(
        full_remediation, target=str(root), cures="ask", approval_timeout_s=2, reuse_passed=False
    ).finished()

    assert state.is_failed()
    (saved,) = (root / ".remediation" / "cures").glob("*.json")
    assert "not approved within 2 s" in state.message
    assert f"remediate fix apply {root} {saved.stem}" in state.message
    assert (root / "pyproject.toml").read_bytes() == before
    report = state.result(raise_on_failure=False).report
    assert [p.status.value for p in report.phases] == ["failed", "not_run", "not_run", "not_run"]


def test_a_target_changed_while_waiting_refuses_the_approved_cures(
    make_target: MakeTarget,
) -> None:
    from prefect.flow_runs import resume_flow_run

    from flows.phase import run_phase

    root = sick_target(make_target, "changed-target")
    started = InThread(run_phase, target=str(root), phase="foundation", cures="ask")

    run = paused_run(started, "run-phase", root)
    (root / "tests/unit/test_added_meanwhile.py").write_text("def test_new():\n    pass\n")
    before = (root / "pyproject.toml").read_bytes()
    resume_flow_run(run.id, run_input={"approve_all": True})
    state = started.finished()

    assert state.is_failed()
    assert "approved cures not applied: the target changed since proposal" in state.message
    assert (root / "pyproject.toml").read_bytes() == before


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_remediate_run_asks_in_the_terminal_and_applies_what_is_approved(
    make_target: MakeTarget, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import cli.approve_prompt
    from cli.main import main

    root = sick_target(make_target, "terminal-target")
    asked: list[str] = []

    def answer(question: str) -> bool:
        asked.append(question)
        return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(cli.approve_prompt, "ask_in_terminal", answer)

    assert main(["run", str(root), "--phase", "foundation", "--cures", "ask"]) == 0

    assert asked == ["apply cure 1 (async-mode)?"]
    shown = capsys.readouterr().out
    assert "1. 1 × async test no plugin ran: proven [safe]" in shown
    assert '+asyncio_mode = "auto"' in shown  # the diff
    assert "cure(s) 1 of proposal " in shown
    assert 'asyncio_mode = "auto"' in (root / "pyproject.toml").read_text()


def test_remediate_run_without_a_terminal_proposes_instead_of_asking(
    make_target: MakeTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    root = sick_target(make_target, "no-terminal-target")
    before = (root / "pyproject.toml").read_bytes()

    assert main(["run", str(root), "--phase", "foundation", "--cures", "ask"]) == 1

    captured = capsys.readouterr()
    assert "no terminal to ask in: --cures ask proposes the cures" in captured.err
    (saved,) = (root / ".remediation" / "cures").glob("*.json")
    assert f"remediate fix apply {root} {saved.stem}" in " ".join(captured.out.split())
    assert (root / "pyproject.toml").read_bytes() == before
