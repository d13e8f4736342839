"""Cures offered after a phase fails its gate, and the wait for a person to approve them.

`cures` (a parameter of `full-remediation` and `rerun-phase`):

- `off`: nothing more (the default).
- `propose`: the phase's failures get a cure each where one can be proven on a scratch
  copy; the proven ones are saved as a proposal and published as a markdown artifact
  (before → after, the proof runs with their commands, the diffs, the command that
  applies them). The run still ends Failed, its message naming the proposal.
- `ask`: as `propose`, then the flow run pauses for a person: the UI's Resume form lists
  the proven cures (approve each, or all; a note). Approved cures are written through the
  codemod journal, then the caller runs the phase's gate again. Rejected (nothing
  approved) or not answered within `approval_timeout_s`: the run ends Failed, naming the
  proposal and the command that applies it later.

While it waits, the run holds no pytest process and lets go of the target's lock, so
`remediate run` (or `remediate fix apply`) may use the target meanwhile. Whichever changes
the target first wins: a proposal is applied only to the content it was proven on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.events import emit_event
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.logging import get_run_logger
from prefect.states import Running
from prefect.utilities.urls import url_for

from flows.run_config import run_facts
from tasks.cure_tasks import apply_approved_cures, propose_phase_cures
from testing_lib.codemods import ApplyReport
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.cures.approval_events import AWAITING_APPROVAL, RESOURCE_PREFIX, AwaitingApproval
from testing_lib.cures.proposal_markdown import proposal_markdown
from testing_lib.cures.proposals import Proposal
from testing_lib.locking import TargetBusyError, lock_released
from testing_lib.report import PhaseReport

CuresMode = Literal["off", "propose", "ask"]
DEFAULT_APPROVAL_TIMEOUT_S = 3600
POLL_S = 2  # how often a waiting run asks the API whether it was resumed
PAUSE_KEY_PREFIX = "cures-"


def pause_key(proposal_id: str) -> str:
    """The pause's key, naming the proposal (keys allow lowercase letters, digits, dashes)."""
    return f"{PAUSE_KEY_PREFIX}{proposal_id.lower()}"


class CureApproval(RunInput):
    """A person's answer to a proposal. `approval_form` adds a `cure_N` box per proven cure
    (N as the proposal numbers them) before `approve_all` and `note`."""

    def approved(self, numbers: list[int]) -> list[int]:
        """The cure numbers approved: all of them with `approve_all`, else the boxes ticked."""
        if getattr(self, "approve_all", False):
            return list(numbers)
        return [n for n in numbers if getattr(self, f"cure_{n}", False)]

    @property
    def said(self) -> str:
        return str(getattr(self, "note", "") or "").strip()


def approval_form(proposal: Proposal, target_name: str, phase: str) -> type[CureApproval]:
    """The Resume form for `proposal`: a box per proven cure, one for all, a note."""
    fields: dict[str, Any] = {
        f"cure_{cure.number}": (
            bool,
            pydantic.Field(
                default=False,
                title=f"{cure.number}. {cure.kind}: {cure.label}",
                description=proposal.report.groups[cure.number - 1].summary,
            ),
        )
        for cure in proposal.cures
    }
    fields["approve_all"] = (
        bool,
        pydantic.Field(default=False, title="Approve every proven cure"),
    )
    fields["note"] = (str, pydantic.Field(default="", title="Note"))
    form: type[CureApproval] = pydantic.create_model(
        "CureApproval", __base__=CureApproval, **fields
    )
    form._description = (  # shown above the form (markdown)
        f"**{len(proposal.cures)} proven cure(s) for {phase} of {target_name}.** "
        "Tick the ones to write (or approve all), then Resume: they are written through "
        "the journal and the phase's gate runs again. Resume with none ticked to reject "
        f"them; they stay saved (`{proposal.apply_command()}`).\n\n"
        + proposal_markdown(proposal, target_name)
    )
    return form


@dataclass
class CureOffer:
    """What came of offering a failed phase's cures."""

    proposal: Proposal | None = None
    applied: list[int] = field(default_factory=list)
    note: str = ""  # for the phase's reason: what happened, what to do
    undo: str | None = None  # the command that undoes the apply


def _saved(proposal: Proposal) -> str:
    return (
        f"{len(proposal.cures)} proven cure(s) saved as proposal {proposal.id}; "
        f"apply them with: {proposal.apply_command()}"
    )


def _announce(config: TargetConfig, phase: str, proposal: Proposal, timeout_s: int) -> None:
    """Tell the notification automation (and the logs) that this run waits for a person."""
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    ui_url = url_for("flow-run", obj_id=run.id) if run else None
    groups = proposal.report.groups
    payload = AwaitingApproval(
        target=config.name,
        root=str(config.root),
        phase=phase,
        proposal=proposal.id,
        cures=[
            f"{c.number}. {c.kind}: {groups[c.number - 1].count} × {c.label}"
            for c in proposal.cures
        ],
        apply_command=proposal.apply_command(),
        timeout_s=timeout_s,
        ui_url=ui_url,
    )
    emit_event(
        AWAITING_APPROVAL,
        resource={
            "prefect.resource.id": f"{RESOURCE_PREFIX}{proposal.id}",
            "prefect.resource.name": config.name,
        },
        payload=payload.model_dump(mode="json"),
    )
    get_run_logger().info(
        "waiting up to %d s for a person to approve proposal %s%s",
        timeout_s,
        proposal.id,
        f": {ui_url}" if ui_url else "",
    )


def _running_again(message: str) -> None:
    """Take the run out of its timed-out pause, so that it ends with its own message
    (Prefect's server fails any later move out of an expired pause with a message of its
    own: "The flow was paused and never resumed")."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(context.flow_run.id, Running(message=message), force=True)


def offer_cures(
    config: TargetConfig,
    phase: PhaseName,
    mode: CuresMode,
    timeout_s: int,
    *,
    gate: PhaseReport | None = None,
) -> CureOffer:
    """Prove and publish the phase's cures (their failure groups from `gate`, the report of
    the gate that failed, when the target is still what it ran on); with `ask`, wait for a
    person and apply what they approve. Never raises for what a person or the target did:
    the offer says it."""
    if mode == "off":
        return CureOffer()
    state = propose_phase_cures(config, phase, run_facts(config), gate, return_state=True)
    if not state.is_completed():
        return CureOffer(note=f"cures could not be proven: {state.message}")
    proposal: Proposal | None = state.result()
    if proposal is None:
        return CureOffer(note="no cure could be proven for its failures")
    later = _saved(proposal)
    if mode == "propose":
        return CureOffer(proposal=proposal, note=later)
    form = approval_form(proposal, config.name, phase)
    _announce(config, phase, proposal, timeout_s)
    try:
        with lock_released(config.root):  # a person may take a while: the target is free
            answer = pause_flow_run(
                wait_for_input=form,
                timeout=timeout_s,
                poll_interval=POLL_S,
                key=pause_key(proposal.id),
            )
    except FlowPauseTimeout:
        note = f"not approved within {timeout_s} s: {later}"
        _running_again(note)
        return CureOffer(proposal=proposal, note=note)
    except TargetBusyError as exc:
        return CureOffer(proposal=proposal, note=f"not applied: {exc}; {later}")
    numbers = answer.approved([cure.number for cure in proposal.cures])
    said = f" ({answer.said})" if answer.said else ""
    if not numbers:
        return CureOffer(proposal=proposal, note=f"cures rejected{said}: {later}")
    return _apply(config, proposal, numbers, said)


def _apply(config: TargetConfig, proposal: Proposal, numbers: list[int], said: str) -> CureOffer:
    logger = get_run_logger()
    logger.info("cure(s) %s of proposal %s approved%s", numbers, proposal.id, said)
    applied = apply_approved_cures(config.root, proposal.id, numbers, return_state=True)
    if not applied.is_completed():
        why = applied.result(raise_on_failure=False)
        return CureOffer(
            proposal=proposal,
            note=f"approved cures not applied: {why}",
        )
    report: ApplyReport = applied.result()
    undo = f"remediate fix undo {config.root} {report.run_id}"
    listed = ", ".join(map(str, numbers))
    if report.conflicts:
        return CureOffer(
            proposal=proposal,
            note=f"approved cures {listed} left alone ({', '.join(report.conflicts)} changed); "
            f"undo what was written with: {undo}",
            undo=undo,
        )
    return CureOffer(
        proposal=proposal,
        applied=numbers,
        note=f"cure(s) {listed} of proposal {proposal.id} applied{said}; undo with: {undo}",
        undo=undo,
    )
