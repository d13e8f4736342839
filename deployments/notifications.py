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

`remediate server --notify-webhook URL` calls `ensure_nightly_notifications`; so can anyone
who registers the deployments with `prefect deploy`: `python -m deployments.notifications
URL` with `PREFECT_API_URL` pointing at the server.

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

from testing_lib.isolation.night_events import NEW_FINDINGS, RUN_FAILED

logger = logging.getLogger(__name__)

NIGHTLY_FLOW = "nightly-isolation"
BLOCK_NAME = "nightly-isolation-webhook"
AUTOMATION_NAME = "nightly-isolation-notify"
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


def ensure_nightly_notifications(webhook_url: str) -> UUID:
    """Create or update (by name) the webhook block and the automation; return the
    automation's id. Talks to the server of the current Prefect settings (PREFECT_API_URL).
    Raises `pydantic.ValidationError` when `webhook_url` is not an http(s) URL."""
    automation = nightly_automation(ensure_webhook_block(webhook_url))
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        if not existing:
            created = client.create_automation(automation)
            logger.info("created the automation %s (%s)", AUTOMATION_NAME, created)
            return created
        kept, *extra = existing
        client.update_automation(kept.id, automation)
        for duplicate in extra:
            client.delete_automation(duplicate.id)
        logger.info("updated the automation %s (%s)", AUTOMATION_NAME, kept.id)
        return kept.id


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
    ensure_nightly_notifications(sys.argv[1])
