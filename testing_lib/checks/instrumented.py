"""Run a phase's pytest selection with injected recording plugins, and read their records.

The phase checks that observe tests (network attempts, requests per route, override leaks)
run the phase's selection once more, through `run_pytest` with the target's own interpreter,
adding `-p <plugin>` for stdlib-only plugins in `runner/target_plugins/` and an environment variable
naming a JSON-lines file each plugin appends to.

Checks of one phase that observe the same run share it: each asks `observe` for the phase's
whole set of observers, and within `shared_runs()` (the phase flow's checks) the first ask
runs pytest and the others read the same records. Outside that block every ask runs.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.environment import test_environment_values
from testing_lib.exceptions import RunnerError
from testing_lib.report import CheckStatus
from testing_lib.results import TestSuiteResult
from testing_lib.runner import run_pytest
from testing_lib.runner.target_plugins import NETWORK_FILE_ENV, REQUESTS_FILE_ENV
from testing_lib.selection import resolve_selection


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


class SelectionNotRunnable(Exception):
    """None of the phase's paths exist in the target."""


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


@contextmanager
def _record_files(names: Sequence[str]) -> Iterator[dict[str, Path]]:
    with tempfile.TemporaryDirectory(prefix="remediation-check-") as scratch:
        files = {name: Path(scratch, f"{name.lower()}.jsonl") for name in names}
        for path in files.values():
            path.write_bytes(b"")
        yield files


def run_instrumented(
    target: TargetConfig,
    phase: PhaseName,
    *,
    record_envs: Sequence[str],
    plugins: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    suite_name: str,
) -> InstrumentedRun:
    """Run `phase`'s existing paths with `plugins` injected; each env in `record_envs` names a
    fresh file whose records come back. Raises SelectionNotRunnable, RunnerError."""
    selection = resolve_selection(target, phase)
    if selection.empty_reason is not None:
        raise SelectionNotRunnable(f"phase {phase} selects nothing: {selection.empty_reason}")
    if not selection.runnable:
        raise SelectionNotRunnable(
            f"none of phase {phase}'s paths exist in {target.root} "
            f"({', '.join(selection.configured)}); set [tool.remediation.phases.{phase}] paths"
        )
    config = target.phase(phase)
    plugin_args = [arg for plugin in plugins for arg in ("-p", plugin)]
    with _record_files(record_envs) as files:
        env = {
            **test_environment_values(target.testing),
            **(extra_env or {}),
            **{name: os.fspath(path) for name, path in files.items()},
        }
        suite = run_pytest(
            cwd=target.root,
            selection=list(selection.existing),
            python=target.python,
            suite_name=suite_name,
            markers=config.markers,
            extra_args=[*config.pytest_args, *plugin_args],
            timeout_s=config.timeout_s,
            env=env,
        )
        records = {name: read_records(path) for name, path in files.items()}
    return InstrumentedRun(suite=suite, records=records)


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


@dataclass(frozen=True)
class Observer:
    """An injected recording plugin and the variable naming the file it appends to."""

    plugin: str
    record_env: str


# service_integration's observing checks ("no real network", "auth token paths"): one run.
SERVICE_OBSERVERS: tuple[Observer, ...] = (
    Observer("remediation_network", NETWORK_FILE_ENV),
    Observer("remediation_requests", REQUESTS_FILE_ENV),
)

_SharedRuns = dict[tuple[PhaseName, tuple[Observer, ...]], InstrumentedRun]
_shared: ContextVar[_SharedRuns | None] = ContextVar("remediation_shared_runs", default=None)


@contextmanager
def shared_runs() -> Iterator[None]:
    """Within this block, `observe` runs each (phase, observers) once."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def observe(
    target: TargetConfig, phase: PhaseName, observers: Sequence[Observer], *, suite_name: str
) -> InstrumentedRun:
    """`phase`'s selection run with every one of `observers` injected (shared within
    `shared_runs()`). Raises SelectionNotRunnable, RunnerError (neither is kept)."""
    scope = _shared.get()
    key = (phase, tuple(observers))
    if scope is not None and key in scope:
        return scope[key]
    run = run_instrumented(
        target,
        phase,
        record_envs=[o.record_env for o in observers],
        plugins=[o.plugin for o in observers],
        suite_name=suite_name,
    )
    if scope is not None:
        scope[key] = run
    return run


@dataclass(frozen=True)
class NotObserved:
    """Why a check could not observe its phase's run: what to report instead."""

    status: CheckStatus
    details: str


def observe_service_integration(target: TargetConfig) -> InstrumentedRun | NotObserved:
    """service_integration's shared observed run (`SERVICE_OBSERVERS`), or why there is none:
    a warning when the phase selects nothing runnable, a failure when pytest could not run."""
    try:
        return observe(
            target,
            "service_integration",
            SERVICE_OBSERVERS,
            suite_name="service_integration-observed",
        )
    except SelectionNotRunnable as exc:
        return NotObserved(CheckStatus.WARNING, f"not checked: {exc}")
    except RunnerError as exc:
        return NotObserved(CheckStatus.FAILED, str(exc))
