"""Notify someone when the nightly isolation finds something new, or cannot run.

Two Prefect objects, created or updated by name (so calling again is harmless):

- a `CustomWebhookNotificationBlock` named `nightly-isolation-webhook`, which POSTs
  `{"subject": ..., "text": ...}` as JSON to the webhook. The URL is kept among the
  block's secret values (webhook URLs usually carry their token), so the UI masks it.
- an automation named `nightly-isolation-notify`, whose `SendNotification` action uses
  that block. It fires, once per event, on any of these events related to the
  `nightly-isolation` flow:
  - `remediation.isolation.new-findings`: the flow found tests order-dependent for the
    first time (it emits this at most once per run);
  - `remediation.isolation.run-failed`: the flow could not validate (bad configuration,
    busy target, validation that did not finish); emitted at most once per run;
  - `prefect.flow-run.Crashed`: the run died without a chance to say so itself.

Not on `prefect.flow-run.Failed`: the flow ends Failed every night while known order
dependence remains, and a notification every night would soon be ignored. A night with
nothing new and nothing broken sends nothing.

A second automation, `cures-approval-notify`, uses the same block: it fires once per
`remediation.cures.awaiting-approval` event, which a `full-remediation` or `rerun-phase`
run with `cures=ask` emits once per proposal when it starts waiting for a person; the
message lists the proven cures and links to the waiting flow run in the UI.

`remediate server --notify-webhook URL` calls `ensure_notifications` (both automations); so
can anyone who registers the deployments with `prefect deploy`: `python -m
deployments.notifications URL` with `PREFECT_API_URL` pointing at the server.

The automation only fires on a server whose event services run (the triggers setting
covers both the trigger evaluation and the actions): `prefect server start` and Prefect's
ephemeral and test servers run them unless `PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED` is
false; the server `remediate server` starts forces them on.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from pydantic import BaseModel, HttpUrl

from testing_lib.cures.approval_events import AWAITING_APPROVAL
from testing_lib.cures.approval_events import RESOURCE_PREFIX as CURES_RESOURCE_PREFIX
from testing_lib.isolation.night_events import NEW_FINDINGS, RUN_FAILED

logger = logging.getLogger(__name__)

NIGHTLY_FLOW = "nightly-isolation"
BLOCK_NAME = "nightly-isolation-webhook"
AUTOMATION_NAME = "nightly-isolation-notify"
APPROVAL_AUTOMATION_NAME = "cures-approval-notify"
CRASHED = "prefect.flow-run.Crashed"
TRIGGERING_EVENTS = frozenset({NEW_FINDINGS, RUN_FAILED, CRASHED})

SUBJECT = (
    f'{{% if event.event == "{NEW_FINDINGS}" %}}'
    "New order-dependent tests in {{ event.payload.target }}"
    f'{{% elif event.event == "{RUN_FAILED}" %}}'
    "Nightly isolation of {{ event.payload.target }} could not run"
    "{% else %}"
    'Nightly isolation run {{ event.resource["prefect.resource.name"] }} crashed'
    "{% endif %}"
)
BODY = (
    f'{{% if event.event == "{NEW_FINDINGS}" %}}'
    "{{ event.payload.new_count }} test(s) of {{ event.payload.target }} depend on the "
    "order of the tests, for the first time tonight "
    "({{ event.payload.known_count }} known, {{ event.payload.fixed_count }} fixed tonight):\n"
    "{% for found in event.payload.new %}"
    "- {{ found.test }} ({{ found.kind }}"
    '{% if found.polluters %}, after {{ found.polluters | join(", ") }}{% endif %})\n'
    "{% endfor %}"
    "Report: {{ event.payload.report }}"
    f'{{% elif event.event == "{RUN_FAILED}" %}}'
    "Nightly isolation of {{ event.payload.target }} could not run: {{ event.payload.reason }}"
    "{% else %}"
    'Nightly isolation run {{ event.resource["prefect.resource.name"] }} crashed: '
    '{{ event.resource["prefect.state-message"] }}'
    "{% endif %}"
)

APPROVAL_SUBJECT = (
    "{{ event.payload.target }}: {{ event.payload.cures | length }} proven cure(s) "
    "wait for approval"
)
APPROVAL_BODY = (
    "Phase {{ event.payload.phase }} of {{ event.payload.target }} failed its gate; these "
    "cures were proven on a scratch copy and wait for a person "
    "(up to {{ event.payload.timeout_s }} s):\n"
    "{% for cure in event.payload.cures %}- {{ cure }}\n{% endfor %}"
    "Approve or reject them in the Prefect UI: {{ event.payload.ui_url }}\n"
    "Or apply them later: {{ event.payload.apply_command }}"
)


class Webhook(BaseModel):
    """Where notifications go: an http(s) URL that accepts a JSON POST."""

    url: HttpUrl


def nightly_trigger() -> EventTrigger:
    """Each new-findings, run-failed or crashed event of the nightly flow, one by one."""
    return EventTrigger(
        expect=set(TRIGGERING_EVENTS),
        match_related=ResourceSpecification(
            {"prefect.resource.role": "flow", "prefect.resource.name": NIGHTLY_FLOW}
        ),
        posture=Posture.Reactive,
        threshold=1,
        within=timedelta(0),
    )


def nightly_automation(block_id: UUID) -> AutomationCore:
    return AutomationCore(
        name=AUTOMATION_NAME,
        description=(
            "Posts to the nightly-isolation-webhook block when nightly-isolation finds tests "
            "order-dependent for the first time, cannot run, or crashes."
        ),
        enabled=True,
        trigger=nightly_trigger(),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)],
    )


def approval_trigger() -> EventTrigger:
    """Each awaiting-approval event (one per proposal), one by one."""
    return EventTrigger(
        expect={AWAITING_APPROVAL},
        match=ResourceSpecification({"prefect.resource.id": f"{CURES_RESOURCE_PREFIX}*"}),
        posture=Posture.Reactive,
        threshold=1,
        within=timedelta(0),
    )


def approval_automation(block_id: UUID) -> AutomationCore:
    return AutomationCore(
        name=APPROVAL_AUTOMATION_NAME,
        description=(
            "Posts to the nightly-isolation-webhook block when a run starts waiting for a "
            "person to approve its proven cures (once per proposal)."
        ),
        enabled=True,
        trigger=approval_trigger(),
        actions=[
            SendNotification(
                block_document_id=block_id, subject=APPROVAL_SUBJECT, body=APPROVAL_BODY
            )
        ],
    )


def ensure_webhook_block(webhook_url: str) -> UUID:
    """Create or overwrite the notification block; return its id."""
    url = str(Webhook(url=HttpUrl(webhook_url)).url)
    block = CustomWebhookNotificationBlock(
        name=BLOCK_NAME,
        url="{{webhook_url}}",
        method="POST",
        json_data={"subject": "{{subject}}", "text": "{{body}}"},
        secrets={"webhook_url": url},
    )
    block_id = block.save(BLOCK_NAME, overwrite=True)
    assert isinstance(block_id, UUID)  # `save` is dual sync/async; sync here
    return block_id


def _ensure_automation(automation: AutomationCore) -> UUID:
    """Create, or update by name (dropping duplicates), `automation`; return its id."""
    name = automation.name
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(name)
        if not existing:
            created = client.create_automation(automation)
            logger.info("created the automation %s (%s)", name, created)
            return created
        kept, *extra = existing
        client.update_automation(kept.id, automation)
        for duplicate in extra:
            client.delete_automation(duplicate.id)
        logger.info("updated the automation %s (%s)", name, kept.id)
        return kept.id


def ensure_nightly_notifications(webhook_url: str) -> UUID:
    """Create or update (by name) the webhook block and the automation; return the
    automation's id. Talks to the server of the current Prefect settings (PREFECT_API_URL).
    Raises `pydantic.ValidationError` when `webhook_url` is not an http(s) URL."""
    return _ensure_automation(nightly_automation(ensure_webhook_block(webhook_url)))


def ensure_approval_notifications(webhook_url: str) -> UUID:
    """As `ensure_nightly_notifications`, for runs waiting for approval of their cures."""
    return _ensure_automation(approval_automation(ensure_webhook_block(webhook_url)))


def ensure_notifications(webhook_url: str) -> list[UUID]:
    """Both automations (nightly findings, cures waiting for approval) on one block."""
    block_id = ensure_webhook_block(webhook_url)
    return [
        _ensure_automation(nightly_automation(block_id)),
        _ensure_automation(approval_automation(block_id)),
    ]


def remove_approval_notifications() -> int:
    """Delete the approval automation (every one of that name); return how many there were."""
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(APPROVAL_AUTOMATION_NAME)
        for automation in existing:
            client.delete_automation(automation.id)
    return len(existing)


def remove_nightly_notifications() -> int:
    """Delete the automation (every one of that name); return how many there were. The
    block stays: it holds nothing but the URL."""
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        for automation in existing:
            client.delete_automation(automation.id)
    return len(existing)


if __name__ == "__main__":  # python -m deployments.notifications URL (with PREFECT_API_URL set)
    import sys

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m deployments.notifications WEBHOOK_URL")
    ensure_notifications(sys.argv[1])
