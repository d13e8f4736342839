"""`remediate run --cures ask`: the run's flow pauses for approval exactly as it does in the
Prefect UI; this answers the pause from the terminal. A thread watches the API for the
run's flow run to be Paused, shows the saved proposal, asks y/n per cure (or all at once),
and resumes the flow run with that input, as the UI's Resume form does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.text import Text

from cli.console import err, out

PAUSE_KEY_PREFIX = "cures-"  # flows.approval names each pause after its proposal
POLL_S = 0.5

Ask = Callable[[str], bool]


def ask_in_terminal(question: str) -> bool:
    return typer.confirm(question, default=False, err=True)


def run_tag(run_id: str) -> str:
    """The tag the CLI puts on its flow runs, to find the one that waits."""
    return f"remediate-run-{run_id.lower()}"


def _proposal_of(root: Path, pause_key: str | None) -> Any:
    from testing_lib.cures.proposals import ProposalError, load_proposal, proposals_dir

    wanted = (pause_key or "").removeprefix(PAUSE_KEY_PREFIX)
    folder = proposals_dir(root)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.stem.lower() == wanted:
            try:
                return load_proposal(root, path.stem)
            except ProposalError:
                return None
    return None


def _answer(proposal: Any, ask: Ask) -> dict[str, Any]:
    """Show the proposal's cures and ask which to apply: the Resume form's input."""
    from cli.cures import show_group

    groups = proposal.report.groups
    out.print(Text(f"\nproven cures, proposal {proposal.id}:", style="bold"))
    for cure in proposal.cures:
        show_group(groups[cure.number - 1], cure.number, diff=True)
    numbers = [cure.number for cure in proposal.cures]
    if len(numbers) > 1 and ask(f"apply all {len(numbers)} cures?"):
        return {"approve_all": True, "note": "approved in the terminal"}
    answer: dict[str, Any] = {
        f"cure_{n}": ask(f"apply cure {n} ({groups[n - 1].cure})?") for n in numbers
    }
    return answer | {"note": "answered in the terminal"}


def answer_pauses(
    root: Path, tag: str, stop: threading.Event, status: Any, ask: Ask | None = None
) -> None:
    """Until `stop`: each flow run tagged `tag` that pauses for approval is answered here
    (`ask`: how a y/n question is put; default: in the terminal)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import PrefectException
    from prefect.flow_runs import resume_flow_run

    waiting = FlowRunFilter(
        tags=FlowRunFilterTags(all_=[tag]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
    )
    answered: set[Any] = set()
    with get_client(sync_client=True) as client:
        while not stop.wait(POLL_S):
            for run in client.read_flow_runs(flow_run_filter=waiting):
                key = run.state.state_details.pause_key if run.state else None
                proposal = _proposal_of(root, key)
                if run.id in answered or proposal is None:
                    continue
                answered.add(run.id)
                status.stop()
                try:
                    run_input = _answer(proposal, ask or ask_in_terminal)
                finally:
                    status.start()
                try:
                    resume_flow_run(run.id, run_input=run_input)
                except (PrefectException, RuntimeError) as exc:
                    err.print(Text(f"the run no longer waits for an answer: {exc}"))
