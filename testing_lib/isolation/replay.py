"""Confirmation: a pair's replay command, and running it in a new pytest process.

What is reported is what a developer will see: `pytest -p no:randomly FIRST SECOND`, run
in a pytest process of its own (not a child of the validator's worker), either reproduces
the order dependence or it does not.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from testing_lib.exceptions import RunnerError
from testing_lib.isolation.suspects import FAILING
from testing_lib.runner import run_pytest

logger = logging.getLogger(__name__)


def replay_command(first: str, second: str) -> str:
    return shlex.join(["pytest", "-p", "no:randomly", first, second])


def replay_pair(
    first: str,
    second: str,
    *,
    victim: bool,
    root: Path,
    python: str,
    extra_args: Sequence[str],
    timeout_s: float,
    env: Mapping[str, str],
) -> bool | None:
    """Run `first` then `second` in a new pytest process: did it reproduce?

    A victim (`victim=True`) reproduces when `second` fails after `first`, a brittle test
    when it passes after it. None when pytest could not run or `second` has no outcome.
    """
    try:
        suite = run_pytest(
            cwd=root,
            selection=[first, second],
            python=python,
            suite_name="isolation-replay",
            extra_args=["-p", "no:randomly", *extra_args],
            timeout_s=max(30.0, min(600.0, timeout_s)),
            env=env,
        )
    except RunnerError as exc:
        logger.warning("Could not replay %s then %s: %s", first, second, exc)
        return None
    outcome = next((r.status for r in suite.results if r.test_name == second), None)
    if outcome is None:
        return None
    failed = outcome in FAILING
    return failed if victim else not failed
