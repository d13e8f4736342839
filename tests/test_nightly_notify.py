"""The nightly notification end to end: a real Prefect server (the session's harness runs
the triggers and actions services, as every ephemeral server does), the automation made
by `ensure_nightly_notifications`, and a webhook receiver on loopback.

Night one finds a new order-dependent pair: exactly one POST. Night two finds the same
pair again (known, the run still ends Failed): no POST. To know that the automation had
its chance on night two, a sentinel event that the automation also matches is emitted
after the run; once its POST arrives, the events the second run emitted have been
evaluated too (and the events API is asked which the automation acted on).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest

from tests.conftest import MakeTarget

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

DEADLINE_S = 60.0
VICTIM = "tests/unit/test_b_reads_flag.py::test_flag_is_off"
POLLUTER = "tests/unit/test_a_sets_flag.py::test_turns_flag_on"
PAIR = {
    "tests/unit/shared_flags.py": "ENABLED = False\n",
    "tests/unit/test_a_sets_flag.py": (
        "import shared_flags\n\n\ndef test_turns_flag_on():\n    shared_flags.ENABLED = True\n"
    ),
    "tests/unit/test_b_reads_flag.py": (
        "import shared_flags\n\n\ndef test_flag_is_off():\n    assert not shared_flags.ENABLED\n"
    ),
}


class Receiver:
    """A webhook on 127.0.0.1 that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                self.send_response(204)
                self.end_headers()
                with receiver.changed:
                    receiver.posts.append(body)
                    receiver.changed.notify_all()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait_for(self, condition: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """The posts, as soon as `condition` holds for them; fails after DEADLINE_S."""
        with self.changed:
            held = self.changed.wait_for(lambda: condition(self.posts), timeout=DEADLINE_S)
            assert held, (
                f"the webhook did not get what was awaited in {DEADLINE_S:.0f} s: {self.posts}"
            )
            return list(self.posts)


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
def automation(prefect_harness: None, receiver: Receiver) -> Iterator[UUID]:
    from deployments.notifications import (
        ensure_nightly_notifications,
        remove_nightly_notifications,
    )

    automation_id = ensure_nightly_notifications(receiver.url)
    try:
        yield automation_id
    finally:
        remove_nightly_notifications()


def emit_sentinel() -> str:
    """An event the automation matches, as if a nightly run found something in 'sentinel'."""
    from prefect.events import emit_event

    from testing_lib.isolation.night_events import NEW_FINDINGS

    emit_event(
        NEW_FINDINGS,
        resource={"prefect.resource.id": "remediation.isolation.sentinel"},
        related=[
            {
                "prefect.resource.id": "prefect.flow.sentinel",
                "prefect.resource.role": "flow",
                "prefect.resource.name": "nightly-isolation",
            }
        ],
        payload={"target": "sentinel", "new_count": 0, "new": [], "known_count": 0},
    )
    return "New order-dependent tests in sentinel"


def assert_nothing_more(receiver: Receiver, *subjects: str) -> None:
    """The webhook got `subjects` and nothing else before a sentinel sent after them."""
    sentinel = emit_sentinel()
    posts = receiver.wait_for(lambda posts: any(p["subject"] == sentinel for p in posts))
    assert [p["subject"] for p in posts] == [*subjects, sentinel]


def read_events(names: list[str], since: datetime, related: str | None = None) -> list[Any]:
    """Events of these names the server has stored since `since` (about `related`)."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import (
        EventFilter,
        EventNameFilter,
        EventOccurredFilter,
        EventRelatedFilter,
    )

    event_filter = EventFilter(
        occurred=EventOccurredFilter(since=since, until=datetime.now(UTC) + timedelta(hours=1)),
        event=EventNameFilter(name=names),
        related=EventRelatedFilter(id=[related]) if related else None,
    )
    with get_client(sync_client=True) as client:
        return list(client.read_events(filter=event_filter, limit=50).events)


def about(resource_id: str, names: list[str], since: datetime) -> list[Any]:
    return [e for e in read_events(names, since) if e.resource.id == resource_id]


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen in {DEADLINE_S:.0f} s"
        time.sleep(0.5)  # polling the events API, not waiting for time to pass


def test_one_notification_for_a_new_pair_and_none_when_it_is_only_known(
    make_target: MakeTarget, receiver: Receiver, automation: UUID
) -> None:
    from flows.nightly_isolation import nightly_isolation
    from testing_lib.isolation.night_events import NEW_FINDINGS, RUN_FAILED

    started = datetime.now(UTC) - timedelta(minutes=1)
    root = make_target(PAIR, name="flags-target")

    first = nightly_isolation(target=str(root), orders=2, seed=5, return_state=True)

    assert first.is_failed()
    assert "(1 new, 0 known)" in (first.message or ""), first.message
    (post,) = receiver.wait_for(lambda posts: len(posts) >= 1)
    assert post["subject"] == "New order-dependent tests in flags-target"
    assert f"- {VICTIM} (victim, after {POLLUTER})" in post["text"]

    second = nightly_isolation(target=str(root), orders=2, seed=5, return_state=True)

    assert second.is_failed()
    assert "(0 new, 1 known)" in (second.message or ""), second.message
    assert_nothing_more(receiver, post["subject"])

    # the events API agrees: the automation acted twice (night one, the sentinel), and the
    # second run, stored as Failed, emitted nothing the automation listens to
    executed = ["prefect.automation.action.executed"]
    acted = f"prefect.automation.{automation}"
    wait_until(lambda: len(about(acted, executed, started)) == 2, "two executed actions stored")
    second_run = f"prefect.flow-run.{second.state_details.flow_run_id}"
    wait_until(lambda: bool(about(second_run, ["prefect.flow-run.Failed"], started)), "Failed")
    assert read_events([NEW_FINDINGS, RUN_FAILED], started, related=second_run) == []
    assert len(receiver.posts) == 2


def test_one_notification_for_a_night_that_cannot_run(
    make_target: MakeTarget, receiver: Receiver, automation: UUID
) -> None:
    from flows.nightly_isolation import nightly_isolation

    root = make_target(name="testless-target", base=False)

    state = nightly_isolation(target=str(root), orders=2, return_state=True)

    assert state.is_failed()
    (post,) = receiver.wait_for(lambda posts: len(posts) >= 1)
    assert post["subject"] == "Nightly isolation of testless-target could not run"
    assert post["text"].startswith(
        "Nightly isolation of testless-target could not run: no tests found under "
    )
    assert_nothing_more(receiver, post["subject"])
