"""Fresh-process truth for "alone", and the import-time side effects it uncovers.

The search collects the suite once and forks, so its "alone" means "alone after importing
every test module (and every helper they import)". A developer's `pytest VICTIM` imports
only the victim's module. Where the two disagree, the new process wins: a test that passes
alone there but failed alone in the search fails because some module's import changes
state it reads. That module is found by bisection over new pytest processes of

    pytest VICTIM MODULE... --deselect MODULE...

which collect (import) the modules and run the victim only; the command that names the one
module is what the report prints, and it is replayed like any pair.
"""

from __future__ import annotations

import json
import logging
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testing_lib.exceptions import RunnerError
from testing_lib.isolation.order_models import ImportedChange, ImportSideEffect
from testing_lib.isolation.replay import (
    REPLAYS,
    Replayed,
    pytest_command,
    replay_args,
    same_test,
)
from testing_lib.isolation.suite_home import PROJECT_ROOT_ENV
from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest

logger = logging.getLogger(__name__)

FAILING = (TestStatus.FAILED, TestStatus.ERROR)
STATE_PROBE_PLUGIN = "remediation_state_probe"
STATE_PROBE_ENV = "REMEDIATION_STATE_PROBE"


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def import_args(victim: str, modules: Sequence[str]) -> list[str]:
    """pytest arguments that import `modules` and run `victim` only."""
    deselect = [arg for module in modules for arg in ("--deselect", module)]
    return [victim, *modules, *deselect]


def import_command(victim: str, module: str, rootdir: str = ".", *, xdist: bool = False) -> str:
    """The command that shows `victim` failing once `module` is imported with it."""
    return pytest_command(import_args(victim, [module]), rootdir, xdist=xdist)


@dataclass
class FreshRuns:
    """New pytest processes of the target, from pytest's rootdir (`cwd`)."""

    cwd: Path
    python: str
    extra_args: Sequence[str]
    timeout_s: float
    env: Mapping[str, str]
    xdist: bool = False
    started: int = 0
    project_root: str = ""  # the project's root, for the state probe

    def outcome(
        self, args: Sequence[str], test: str, env: Mapping[str, str] | None = None
    ) -> TestStatus | None:
        """What `test` did in `pytest ARGS` (None: it reported no outcome, or did not run)."""
        self.started += 1
        try:
            suite = run_pytest(
                cwd=self.cwd,
                selection=[],
                python=self.python,
                suite_name="isolation-fresh",
                extra_args=[*self.extra_args, *replay_args(xdist=self.xdist), *args],
                timeout_s=max(30.0, min(600.0, self.timeout_s)),
                env={**self.env, **(env or {})},
            )
        except RunnerError as exc:
            logger.warning("Could not run pytest %s: %s", shlex.join(args), exc)
            return None
        return next((r.status for r in suite.results if same_test(r.test_name, test)), None)

    def fails_with(self, victim: str, modules: Sequence[str]) -> bool:
        return self.outcome(import_args(victim, modules), victim) in FAILING

    def state(self, args: Sequence[str], test: str) -> dict[str, dict[str, Any]]:
        """The project's plain module state as `test` sees it in `pytest ARGS`, just before
        it runs (empty when the probe wrote nothing)."""
        with tempfile.TemporaryDirectory(prefix="rem-state-") as folder:
            target = Path(folder) / "state.json"
            env = {STATE_PROBE_ENV: f"{test}\t{target}"}
            if self.project_root:
                env[PROJECT_ROOT_ENV] = self.project_root
            self.outcome(["-p", STATE_PROBE_PLUGIN, *args], test, env)
            try:
                loaded = json.loads(target.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
        return loaded if isinstance(loaded, dict) else {}


def changed_on_import(runs: FreshRuns, victim: str, module: str) -> list[ImportedChange]:
    """The plain values the victim sees changed once `module` is imported with it."""
    alone = runs.state([victim], victim)
    imported = runs.state(import_args(victim, [module]), victim)
    changes = []
    for name, values in sorted(alone.items()):
        after = imported.get(name, {})
        for key, value in sorted(values.items()):
            if key in after and after[key] != value:
                changes.append(
                    ImportedChange(module=name, name=key, alone=value, imported=after[key])
                )
    return changes


def locate_import(
    runs: FreshRuns, victim: str, ids: Sequence[str], rootdir: str
) -> ImportSideEffect | None:
    """The module whose import makes `victim` fail in a new process, confirmed as pairs are
    (reproduced in REPLAYS new processes); None when no single module does."""
    own = module_of(victim)
    modules = list(dict.fromkeys(module_of(nodeid) for nodeid in ids if module_of(nodeid) != own))
    if not modules or not runs.fails_with(victim, modules):
        return None
    while len(modules) > 1:
        half = modules[: len(modules) // 2]
        if runs.fails_with(victim, half):
            modules = half
        elif runs.fails_with(victim, modules[len(half) :]):
            modules = modules[len(half) :]
        else:
            return None  # only a combination of modules does it: no single cause
    module = modules[0]
    reproduced = sum(1 for _ in range(REPLAYS - 1) if runs.fails_with(victim, [module])) + 1
    if reproduced < REPLAYS:
        return None
    changed = changed_on_import(runs, victim, module)
    seen = "; ".join(
        f"{change.module}.{change.name}: {change.alone!r} alone, {change.imported!r} after it"
        for change in changed[:5]
    )
    return ImportSideEffect(
        victim=victim,
        module=module,
        replay_command=import_command(victim, module, rootdir, xdist=runs.xdist),
        evidence=(
            f"passes alone in a new pytest process and fails when {module} is collected with "
            f"it (reproduced in {REPLAYS} of {REPLAYS} new processes): importing {module}, or "
            "a helper it imports, changes state the test reads" + (f" ({seen})" if seen else "")
        ),
        changed=changed,
    )


def explain_failing_alone(
    runs: FreshRuns, test: str, ids: Sequence[str], rootdir: str
) -> ImportSideEffect | None:
    """For a test that failed alone after every module was imported: when it passes alone
    in a new process, the module whose import breaks it (None otherwise)."""
    if runs.outcome([test], test) is not TestStatus.PASSED:
        return None
    return locate_import(runs, test, ids, rootdir)


def confirm_alone(
    replayed: Replayed,
    test: str,
    fails_alone: bool,
    fresh: FreshRuns,
    ids: Sequence[str],
    rootdir: str,
) -> tuple[Replayed, ImportSideEffect | None]:
    """A pair's confirmed replay, checked against the test alone in a new pytest process:
    a victim must pass there, a brittle test (`fails_alone`) fail. Where it does not, the
    pair is unconfirmed; a brittle test that passes alone is looked at for an import-time
    side effect (returned when one module explains it)."""
    command = pytest_command([test], rootdir, xdist=fresh.xdist)
    alone = fresh.outcome([test], test)
    if alone is not None and (alone in FAILING) == fails_alone:
        evidence = f"{replayed.evidence}; alone: {alone.value}"
        return replayed.model_copy(
            update={"runs": replayed.runs + fresh.started, "evidence": evidence}
        ), None
    found = None
    if alone is None:
        evidence = f"the test reported no outcome alone in a new pytest process ({command})"
    elif fails_alone:  # brittle in the search, but it passes alone in a new process
        found = locate_import(fresh, test, ids, rootdir)
        evidence = (
            f"passes alone in a new pytest process ({command}); it failed alone only after "
            "every test module was imported"
            + (f": see the import-time side effect of {found.module}" if found else "")
        )
    else:
        evidence = f"fails alone in a new pytest process too ({command}): not the pair's doing"
    runs = replayed.runs + fresh.started
    return Replayed(status="unconfirmed", runs=runs, evidence=evidence), found
