"""The fix for a test broken by another module's import: it gets the state it has alone.

When importing a module (or a helper it imports) changes plain module values a test reads
(a mode, a flag, a setting), the test's own module gets an autouse fixture that sets each
of them, with `monkeypatch`, to the value the test sees when it runs alone in a new pytest
process; pytest undoes it after each test. Proven on a scratch copy: the command that showed
it (`pytest VICTIM MODULE --deselect MODULE`), the victim alone, the suite in its collected
order, and the victim's module's own tests.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from testing_lib.codemods import FilePlan
from testing_lib.exceptions import RunnerError
from testing_lib.isolation.fix_fixture import FixtureExists, insert_fixture
from testing_lib.isolation.fix_models import PairFix, ProofRun
from testing_lib.isolation.fix_proof import (
    FixContext,
    ScratchRuns,
    passed_in,
    prove_module_unharmed,
    unified_diff,
)
from testing_lib.isolation.import_effects import import_args, module_of
from testing_lib.isolation.order_models import ImportedChange, ImportSideEffect
from testing_lib.results import TestStatus

logger = logging.getLogger(__name__)

FIXTURE_NAME = "_state_as_when_run_alone"


def fixture_source(changes: list[ImportedChange], module: str) -> str:
    """The fixture's code: each changed value set back to what the test sees alone."""
    listed = [
        f"        ({json.dumps(change.module)}, {json.dumps(change.name)}, {change.alone!r}),"
        for change in changes
    ]
    return (
        "\n".join(
            [
                "@pytest.fixture(autouse=True)",
                f"def {FIXTURE_NAME}(monkeypatch):",
                '    """Give this module\'s tests the state they have when run alone: importing',
                f"    {module} changes it at import time (written by remediate,",
                "    which proved that the tests pass with it",
                '    wherever that module is collected)."""',
                "    import importlib",
                "",
                "    for module_name, path, value in [",
                *listed,
                "    ]:",
                "        owner = importlib.import_module(module_name)",
                '        *parents, name = path.split(".")',
                "        for parent in parents:",
                "            owner = getattr(owner, parent)",
                "        monkeypatch.setattr(owner, name, value)",
            ]
        )
        + "\n"
    )


def fix_import_state(
    context: FixContext, effect: ImportSideEffect, order: list[str]
) -> tuple[PairFix, FilePlan | None]:
    """The victim's module patched to pin the state it has alone, proven; or why not."""
    setup = context.setup
    victim_module = module_of(effect.victim)
    relative = (Path(setup.rootdir) / victim_module).as_posix().removeprefix("./")
    fix = PairFix(
        victim=effect.victim, polluter=effect.module, status="no local fix", file=relative
    )
    if not effect.changed:
        fix.reason = (
            f"importing {effect.module} changes no plain module value {effect.victim} reads: "
            "move the import-time setup of that module (or its helper) into a fixture"
        )
        return fix, None
    original, before = context.source(relative)
    try:
        after = insert_fixture(before, fixture_source(effect.changed, effect.module))
    except FixtureExists as exc:
        fix.reason = f"{relative}: {exc}"
        return fix, None
    fix.diff = unified_diff(relative, before, after)
    fix.restores = [
        f"{change.module}.{change.name} = {change.alone!r} (not {change.imported!r})"
        for change in effect.changed
    ]
    runs = context.runs
    try:
        module_before = runs.outcomes([victim_module])
    except RunnerError as exc:
        logger.warning("Could not run %s before the patch: %s", victim_module, exc)
        module_before = {}
    runs.write(relative, after)
    try:
        fix.proof = _prove(runs, effect, order, victim_module, module_before)
    finally:
        runs.write(relative, before)  # kept only when planned
    failed = [run for run in fix.proof if not run.passed]
    if failed:
        fix.status = "not proven"
        fix.reason = "; ".join(f"{run.name}: {run.detail}" for run in failed)
        return fix, None
    fix.status = "proven"
    return fix, FilePlan(
        path=context.root / relative, relative=relative, before=original, after=after.encode()
    )


def _prove(
    runs: ScratchRuns,
    effect: ImportSideEffect,
    order: list[str],
    victim_module: str,
    module_before: dict[str, TestStatus],
) -> list[ProofRun]:
    victim = effect.victim
    proof = []
    for name, args, command in (
        ("replay", import_args(victim, [effect.module]), effect.replay_command),
        ("victim alone", [victim], runs.command([victim])),
    ):
        try:
            passed, detail = passed_in(runs.outcomes_of(args), victim)
        except RunnerError as exc:
            passed, detail = False, f"could not run: {exc}"
        proof.append(ProofRun(name=name, command=command, passed=passed, detail=detail))
    try:
        passed, detail = passed_in(runs.order_outcomes(order), victim)
    except RunnerError as exc:
        passed, detail = False, f"could not run: {exc}"
    what = f"the {len(order)} tests in their collected order, every module imported"
    proof.append(ProofRun(name="collected order", command=what, passed=passed, detail=detail))
    proof.append(prove_module_unharmed(runs, victim_module, module_before, "victim's module"))
    return proof
