"""The run's one configuration and its facts: what the target has is gathered once per run."""

from __future__ import annotations

from pathlib import Path

import pytest

import flows.run_config
from flows.run_config import run_config, run_facts
from testing_lib.config.target import load_target_config
from testing_lib.triage import TargetFacts


def test_the_targets_facts_are_gathered_once_per_run(
    make_target, monkeypatch: pytest.MonkeyPatch
) -> None:
    gathered: list[Path] = []

    def counting(root: Path, python: str) -> TargetFacts:
        gathered.append(root)
        return TargetFacts(python=python)

    monkeypatch.setattr(flows.run_config, "target_facts", counting)
    config = load_target_config(make_target())

    with run_config(config):
        first = run_facts(config)
        with run_config(config):  # a phase's flow inside the run
            assert run_facts(config) is first
    assert gathered == [config.root]

    run_facts(config)  # outside a run: gathered for the caller, kept by no one
    with run_config(config):  # the next run gathers its own
        run_facts(config)
    assert gathered == [config.root] * 3
