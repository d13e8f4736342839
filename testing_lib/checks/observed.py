"""What a phase check reads from an observed pytest run: the run and its plugins' records.

An observer is a recording plugin injected into a pytest run (`-p <plugin>`, from
`runner/target_plugins/`, or the testing library's own plugin in the target when `plugin`
is empty) and the environment variable naming the JSON-lines file it appends to. The phase's
gate carries the observers of every check of its phase, so those checks judge the gate's
own run instead of running the selection again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testing_lib.report import CheckStatus
from testing_lib.results import TestSuiteResult
from testing_lib.runner.target_plugins import NETWORK_FILE_ENV, REQUESTS_FILE_ENV


@dataclass(frozen=True)
class Observer:
    """An injected recording plugin and the variable naming the file it appends to."""

    plugin: str  # "" when the target's own testing_lib plugin does the recording
    record_env: str

    @property
    def file_name(self) -> str:
        return f"{self.record_env.lower()}.jsonl"


# Outbound connections refused before they are made (loopback allowed), each attempt recorded.
NETWORK_OBSERVER = Observer("remediation_network", NETWORK_FILE_ENV)
# Every request that reaches an ASGI app in the test process, with its test.
REQUESTS_OBSERVER = Observer("remediation_requests", REQUESTS_FILE_ENV)


@dataclass
class InstrumentedRun:
    suite: TestSuiteResult
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def sessions(self, env_name: str) -> int:
        """How many pytest processes wrote their `session_start` marker to that file."""
        return sum(1 for r in self.records.get(env_name, []) if r.get("event") == "session_start")

    def events(self, env_name: str) -> list[dict[str, Any]]:
        """The records of that file, without the session markers."""
        return [r for r in self.records.get(env_name, []) if "event" not in r]

    @property
    def executed(self) -> int:
        return self.suite.passed_tests + self.suite.failed_tests + self.suite.error_tests


@dataclass(frozen=True)
class NotObserved:
    """Why a check could not observe its phase's run: what to report instead."""

    status: CheckStatus
    details: str


def read_records(path: Path) -> list[dict[str, Any]]:
    """JSON objects, one a line; a torn last line (a killed process) is skipped."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def unique_observers(groups: Iterable[Sequence[Observer]]) -> tuple[Observer, ...]:
    """Every observer of `groups` once, in first-seen order."""
    return tuple(dict.fromkeys(o for group in groups for o in group))


def observer_setup(
    observers: Sequence[Observer], out_dir: Path
) -> tuple[list[str], dict[str, str]]:
    """pytest arguments and environment that make a run in `out_dir` carry `observers`, each
    appending to a fresh file there."""
    args = [arg for o in observers if o.plugin for arg in ("-p", o.plugin)]
    env = {}
    for observer in observers:
        path = out_dir / observer.file_name
        path.write_bytes(b"")
        env[observer.record_env] = os.fspath(path)
    return args, env


def gate_records(observers: Sequence[Observer], out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The records a gate in `out_dir` wrote for `observers`, every shard's included."""
    return {
        o.record_env: [
            record for path in sorted(out_dir.rglob(o.file_name)) for record in read_records(path)
        ]
        for o in observers
    }


def not_run_reason(run: InstrumentedRun) -> str | None:
    """Why the run tells nothing (no test executed), or None."""
    if run.executed:
        return None
    suite = run.suite
    errors = "; ".join(e.nodeid for e in suite.collection_errors[:3])
    detail = f" (collection errors: {errors})" if errors else ""
    tail = suite.stderr_tail.strip().splitlines()[-1:] if suite.stderr_tail else []
    return f"the selection ran no test (exit {suite.exit_code}){detail}" + (
        f": {tail[0]}" if tail else ""
    )
