"""Read the collector plugin's JSON-lines file into typed events and test results."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from testing_lib.results import CollectionError, TestResult, TestStatus

logger = logging.getLogger(__name__)


class SessionStart(BaseModel):
    event: Literal["session_start"]
    pid: int
    python: str
    pytest: str


class CollectErrorEvent(BaseModel):
    event: Literal["collect_error"]
    nodeid: str
    message: str


class CollectSkipEvent(BaseModel):
    """A whole module skipped while collected (`pytest.importorskip`, a module-level skip)."""

    event: Literal["collect_skip"]
    nodeid: str
    reason: str = ""


class Collected(BaseModel):
    event: Literal["collected"]
    count: int


class CollectedIds(BaseModel):
    """Opt-in (`REMEDIATION_COLLECT_IDS=1`): every collected node id, relative to `rootdir`."""

    event: Literal["collected_ids"]
    rootdir: str
    ids: list[str]
    missing_fixtures: dict[str, list[str]] = Field(default_factory=dict)


class Start(BaseModel):
    event: Literal["start"]
    nodeid: str


class Result(BaseModel):
    event: Literal["result"]
    nodeid: str
    outcome: TestStatus
    duration_ms: float
    message: str | None = None
    traceback: str | None = None
    time: float | None = None  # epoch seconds when the test finished

    def to_test_result(self) -> TestResult:
        result = TestResult(
            test_name=self.nodeid,
            status=self.outcome,
            execution_time_ms=self.duration_ms,
            error_message=self.message,
            error_traceback=self.traceback,
        )
        if self.time is not None:
            result.timestamp = datetime.fromtimestamp(self.time, UTC)
        return result


class SessionFinish(BaseModel):
    event: Literal["session_finish"]
    exitstatus: int


Event = Annotated[
    SessionStart
    | CollectErrorEvent
    | CollectSkipEvent
    | Collected
    | CollectedIds
    | Start
    | Result
    | SessionFinish,
    Field(discriminator="event"),
]
_EVENT: TypeAdapter[Event] = TypeAdapter(Event)


class RunEvents(BaseModel):
    """Everything the collector wrote for one run, in event order."""

    session: SessionStart | None = None
    collected: int | None = None
    collected_ids: CollectedIds | None = None
    collection_errors: list[CollectionError] = Field(default_factory=list)
    skipped_modules: list[str] = Field(default_factory=list)  # skipped while collected
    results: list[TestResult] = Field(default_factory=list)
    running: list[str] = Field(default_factory=list)  # started, no result yet, oldest first
    exitstatus: int | None = None  # None: the session never finished (killed or crashed)

    @property
    def running_test(self) -> str | None:
        """The most recently started test without a result."""
        return self.running[-1] if self.running else None


def parse_events(text: str) -> RunEvents:
    """Fold the collector's lines into `RunEvents`.

    Only newline-terminated lines are complete: a last line cut off by a kill is ignored.
    A complete line that is not a known event is logged and skipped.
    """
    run = RunEvents()
    lines = text.split("\n")
    if lines[-1]:
        logger.debug("Ignoring a truncated last results line: %r", lines[-1][:200])
    seen_errors: set[str] = set()
    running: dict[str, None] = {}  # insertion-ordered set
    for number, line in enumerate(lines[:-1], start=1):
        if not line.strip():
            continue
        try:
            event = _EVENT.validate_python(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            logger.warning("Skipping unreadable results line %d (%s): %r", number, exc, line[:200])
            continue
        match event:
            case SessionStart():
                run.session = event
            case CollectErrorEvent(nodeid=nodeid, message=message):
                if nodeid not in seen_errors:
                    seen_errors.add(nodeid)
                    run.collection_errors.append(CollectionError(nodeid=nodeid, message=message))
            case CollectSkipEvent(nodeid=nodeid):
                if nodeid not in run.skipped_modules:
                    run.skipped_modules.append(nodeid)
            case Collected(count=count):
                run.collected = count
            case CollectedIds():
                run.collected_ids = event
            case Start(nodeid=nodeid):
                running.pop(nodeid, None)
                running[nodeid] = None
            case Result(nodeid=nodeid):
                running.pop(nodeid, None)
                run.results.append(event.to_test_result())
            case SessionFinish(exitstatus=exitstatus):
                run.exitstatus = exitstatus
    run.running = list(running)
    return run


def read_events(path: Path) -> RunEvents:
    """`parse_events` over a results file; a file never written means no events."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return RunEvents()
    return parse_events(data.decode("utf-8", errors="replace"))
