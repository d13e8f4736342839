"""The event a run emits when it starts waiting for a person to approve its proven cures,
named here for the flow that emits it and for the automation that notifies on it."""

from __future__ import annotations

from pydantic import BaseModel

AWAITING_APPROVAL = "remediation.cures.awaiting-approval"
RESOURCE_PREFIX = "remediation.cures."


class AwaitingApproval(BaseModel):
    """Payload of `AWAITING_APPROVAL`: one per proposal."""

    target: str
    root: str
    phase: str
    proposal: str  # the saved proposal's id
    cures: list[str]  # "1. async-mode: 2 × async test no plugin ran"
    apply_command: str
    timeout_s: int
    ui_url: str | None = None  # the waiting flow run in the Prefect UI
