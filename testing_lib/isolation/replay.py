"""Confirmation: a pair's replay command, run in new pytest processes from pytest's rootdir.

What is reported is what a developer will see: `pytest -p no:randomly FIRST SECOND`, with
pytest's own node ids, run from pytest's rootdir (`cd tests && pytest ...` when that is
not the target's root) in a pytest process of its own, not a child of the validator's
worker. A pair is `confirmed` when that reproduces it twice running; once out of two is
`flaky`; never is `unconfirmed`. Only confirmed pairs count as order dependence.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from testing_lib.exceptions import RunnerError
from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest

logger = logging.getLogger(__name__)

REPLAYS = 2  # fresh pytest runs a pair must reproduce in to be confirmed

Confirmation = Literal["confirmed", "flaky", "unconfirmed"]


class Replayed(BaseModel):
    """What the replays of one pair showed."""

    status: Confirmation
    runs: int  # pytest processes started for it
    evidence: str  # what happened, in words


def replay_args(*, xdist: bool) -> list[str]:
    """pytest options of a replay: no shuffling, and (where xdist is installed) no workers,
    which a `-n` in the target's addopts would otherwise spread the pair over."""
    return ["-p", "no:randomly", *(["-n", "0"] if xdist else [])]


def replay_command(first: str, second: str, rootdir: str = ".", *, xdist: bool = False) -> str:
    """The command that replays a pair; `rootdir` is pytest's, relative to the target."""
    return pytest_command([first, second], rootdir, xdist=xdist)


def pytest_command(args: Sequence[str], rootdir: str = ".", *, xdist: bool = False) -> str:
    """`pytest ARGS` as a developer types it from the target's root."""
    command = shlex.join(["pytest", *replay_args(xdist=xdist), *args])
    return command if rootdir in ("", ".") else f"cd {shlex.quote(rootdir)} && {command}"


def same_test(reported: str, wanted: str) -> bool:
    """Whether pytest's `reported` id names the test `wanted`: the same id, or the same test
    of the same file where pytest took a rootdir below the folder the ids start from (a
    `tests/pytest.ini` makes `tests/x.py::t` be reported as `x.py::t`)."""
    if reported == wanted:
        return True
    path, _, name = reported.partition("::")
    wanted_path, _, wanted_name = wanted.partition("::")
    return bool(path) and name == wanted_name and wanted_path.endswith("/" + path)


def _replay_once(
    first: str,
    second: str,
    *,
    victim: bool,
    cwd: Path,
    python: str,
    extra_args: Sequence[str],
    timeout_s: float,
    env: Mapping[str, str],
    xdist: bool,
) -> tuple[bool | None, str]:
    """Did `first` then `second` reproduce (None: no outcome), and what `second` did."""
    try:
        suite = run_pytest(
            cwd=cwd,
            selection=[first, second],
            python=python,
            suite_name="isolation-replay",
            extra_args=[*extra_args, *replay_args(xdist=xdist)],
            timeout_s=max(30.0, min(600.0, timeout_s)),
            env=env,
        )
    except RunnerError as exc:
        logger.warning("Could not replay %s then %s: %s", first, second, exc)
        return None, f"the replay could not run: {exc}"
    outcome = next((r.status for r in suite.results if same_test(r.test_name, second)), None)
    if outcome is None:
        reported = ", ".join(r.test_name for r in suite.results[:3]) or "no test"
        return None, f"the replay reported no outcome for {second} (it reported {reported})"
    failed = outcome in (TestStatus.FAILED, TestStatus.ERROR)
    return (failed if victim else not failed), f"{second} {outcome.value} after {first}"


def confirm_pair(
    first: str,
    second: str,
    *,
    victim: bool,
    cwd: Path,
    python: str,
    extra_args: Sequence[str],
    timeout_s: float,
    env: Mapping[str, str],
    xdist: bool = False,
) -> Replayed:
    """Replay `first` then `second` up to REPLAYS times from `cwd` (pytest's rootdir).

    A victim (`victim=True`) reproduces when `second` fails after `first`, a brittle test
    when it passes after it. The replays stop at the first that does not reproduce.
    """
    reproduced = 0
    runs = 0
    what = ""
    for _ in range(REPLAYS):
        runs += 1
        ok, what = _replay_once(
            first,
            second,
            victim=victim,
            cwd=cwd,
            python=python,
            extra_args=extra_args,
            timeout_s=timeout_s,
            env=env,
            xdist=xdist,
        )
        if ok is not True:
            break
        reproduced += 1
    if reproduced == REPLAYS:
        return Replayed(
            status="confirmed",
            runs=runs,
            evidence=f"reproduced in {REPLAYS} of {REPLAYS} new pytest processes ({what})",
        )
    if reproduced:
        return Replayed(
            status="flaky",
            runs=runs,
            evidence=f"reproduced in {reproduced} of {runs} new pytest processes; then {what}",
        )
    return Replayed(status="unconfirmed", runs=runs, evidence=f"did not reproduce: {what}")
