"""One load of the target's configuration per run.

Flows keep `target: str` parameters (what the UI shows and a deployment passes); the first
flow of a run loads the configuration at its top and makes it the run's configuration, and
the flows it calls (the phases) take that one instead of loading again. So a 4-phase run
reads `[tool.remediation]`, resolves the interpreter and classifies the suite once, and the
phase cache key is computed from the same configuration the phase runs on.

What the target has (`TargetFacts`: its interpreter's plugins, pytest configuration,
dependencies, modules), which the triage fits its advice to, is gathered once per run too,
the first time a phase has failures to explain.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from testing_lib.config.target import TargetConfig, load_target_config
from testing_lib.triage import TargetFacts, target_facts

_current: ContextVar[TargetConfig | None] = ContextVar("remediation_run_config", default=None)
# the run's facts per (root, python), shared by the flows of one run
_facts: ContextVar[dict[tuple[Path, str], TargetFacts] | None] = ContextVar(
    "remediation_run_facts", default=None
)


def load_for_run(target: str | Path, python: str | None = None) -> TargetConfig:
    """The run's configuration when it is for `target` (and `python`), else a fresh load."""
    current = _current.get()
    if current is not None and _same_target(current, target) and python in (None, current.python):
        return current
    return load_target_config(target, python=python)


def _same_target(config: TargetConfig, target: str | Path) -> bool:
    try:
        return Path(target).expanduser().resolve() == config.root
    except OSError:
        return False


@contextmanager
def run_config(config: TargetConfig) -> Iterator[TargetConfig]:
    """Within the block (and the flows and tasks it calls), `config` is the run's."""
    token = _current.set(config)
    facts_token = _facts.set({}) if _facts.get() is None else None  # the outermost block's
    try:
        yield config
    finally:
        if facts_token is not None:
            _facts.reset(facts_token)
        _current.reset(token)


def run_facts(config: TargetConfig) -> TargetFacts:
    """What the target of `config` has: gathered on the first call within a run, then reused."""
    memo = _facts.get()
    key = (config.root, config.python)
    if memo is not None and key in memo:
        return memo[key]
    facts = target_facts(config.root, config.python)
    if memo is not None:
        memo[key] = facts
    return facts
