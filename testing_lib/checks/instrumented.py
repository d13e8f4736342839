"""Run a phase's pytest selection with injected recording plugins, for a check run alone.

In a phase run the observing checks (network attempts, requests per route, override leaks)
judge the phase gate's own run, which carries their observers. A check called on its own
(`check_no_real_network(target)`, `remediate check`) has no gate run: it runs the phase's
selection here, through `run_pytest` with the target's own interpreter, with its observers.

Checks that observe the same run share it: each asks `observe` for its phase's whole set of
observers, and within `shared_runs()` the first ask runs pytest and the others read the same
records. Outside that block every ask runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from testing_lib.checks.observed import (
    NETWORK_OBSERVER,
    REQUESTS_OBSERVER,
    InstrumentedRun,
    NotObserved,
    Observer,
    observer_setup,
    read_records,
)
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.environment import test_environment_values
from testing_lib.exceptions import RunnerError
from testing_lib.report import CheckStatus
from testing_lib.runner import run_pytest
from testing_lib.selection import resolve_selection


class SelectionNotRunnable(Exception):
    """None of the phase's paths exist in the target."""


def run_instrumented(
    target: TargetConfig,
    phase: PhaseName,
    *,
    observers: Sequence[Observer],
    extra_env: Mapping[str, str] | None = None,
    suite_name: str,
) -> InstrumentedRun:
    """Run `phase`'s existing paths carrying `observers`, each recording to a fresh file whose
    records come back. Raises SelectionNotRunnable, RunnerError."""
    selection = resolve_selection(target, phase)
    if selection.empty_reason is not None:
        raise SelectionNotRunnable(f"phase {phase} selects nothing: {selection.empty_reason}")
    if not selection.runnable:
        raise SelectionNotRunnable(
            f"none of phase {phase}'s paths exist in {target.root} "
            f"({', '.join(selection.configured)}); set [tool.remediation.phases.{phase}] paths"
        )
    config = target.phase(phase)
    with tempfile.TemporaryDirectory(prefix="remediation-check-") as scratch:
        plugin_args, record_env = observer_setup(observers, Path(scratch))
        env = {**test_environment_values(target.testing), **(extra_env or {}), **record_env}
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
        records = {name: read_records(Path(path)) for name, path in record_env.items()}
    return InstrumentedRun(suite=suite, records=records)


# service_integration's observing checks ("no real network", "auth token paths"), run on
# their own: one run for both.
SERVICE_OBSERVERS: tuple[Observer, ...] = (NETWORK_OBSERVER, REQUESTS_OBSERVER)

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
    run = run_instrumented(target, phase, observers=observers, suite_name=suite_name)
    if scope is not None:
        scope[key] = run
    return run


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
