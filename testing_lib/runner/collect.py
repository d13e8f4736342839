"""`collect_only`: which tests pytest would collect in a target, and what failed to collect.

Runs `python -m pytest --collect-only` with the target's interpreter and the injected
collector plugin in id mode (`REMEDIATION_COLLECT_IDS=1`), so the answer comes from pytest's
own collection hooks, never from parsing terminal output. No bytecode or cache is written
into the target (`PYTHONDONTWRITEBYTECODE=1`, `-p no:cacheprovider`).
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field

from testing_lib.exceptions import RunnerError
from testing_lib.results import CollectionError
from testing_lib.runner.events import read_events
from testing_lib.runner.probe import require_pytest
from testing_lib.runner.process import run_in_process_group
from testing_lib.runner.runner import COLLECTOR_PLUGIN, LOG_TAIL_CHARS, build_env, read_tail

logger = logging.getLogger(__name__)

COLLECT_IDS_ENV = "REMEDIATION_COLLECT_IDS"

# pytest's exit statuses: 0 ok, 1 tests failed, 2 interrupted (collection errors),
# 3 internal error, 4 usage error, 5 no tests collected.
_COLLECTION_RAN = {0, 2, 5}


class Collection(BaseModel):
    """What one `pytest --collect-only` run saw."""

    rootdir: str | None = None
    ids: list[str] = Field(default_factory=list)  # node ids, relative to rootdir
    errors: list[CollectionError] = Field(default_factory=list)
    # node id -> fixture names it requests that nothing defines (it would error at setup)
    missing_fixtures: dict[str, list[str]] = Field(default_factory=dict)
    exit_code: int
    timed_out: bool = False
    output_tail: str = ""
    command: list[str] = Field(default_factory=list)

    @property
    def ran(self) -> bool:
        """pytest got through collection (with or without errors) and reported it."""
        return not self.timed_out and self.exit_code in _COLLECTION_RAN and self.rootdir is not None

    def relative_to(self, root: Path, nodeid: str) -> str:
        """`nodeid` with its path part made relative to `root` (forward slashes).

        Node ids are relative to pytest's rootdir, which may lie above the target.
        """
        if self.rootdir is None:
            return nodeid
        path, sep, rest = nodeid.partition("::")
        absolute = Path(self.rootdir, path)
        try:
            relative = PurePosixPath(absolute.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            return nodeid
        return f"{relative}{sep}{rest}"


def collect_only(
    *,
    cwd: Path,
    python: str = sys.executable,
    selection: Sequence[str] = (),
    extra_args: Sequence[str] = (),
    timeout_s: float = 300,
    env: Mapping[str, str] | None = None,
) -> Collection:
    """Run `python -m pytest --collect-only <selection>` in `cwd`; return ids and errors.

    An empty `selection` lets the target's own `testpaths` (or its rootdir) decide, as a
    bare `pytest` would. Raises RunnerError when pytest cannot be started there.
    """
    if isinstance(selection, str):
        raise TypeError("selection must be a sequence of pytest arguments, not one string")
    cwd = Path(cwd)
    if not cwd.is_dir():
        raise RunnerError(f"Cannot collect tests in {cwd}: it is not a directory")
    python = os.fspath(python)
    require_pytest(python)
    command = [
        python,
        "-m",
        "pytest",
        "-p",
        COLLECTOR_PLUGIN,
        "-p",
        "no:cacheprovider",
        "-q",
        "--collect-only",
        *extra_args,
    ]
    if selection:
        command += ["--", *selection]
    with tempfile.TemporaryDirectory(prefix="remediation-collect-") as scratch:
        results_path = Path(scratch, "results.jsonl")
        log_path = Path(scratch, "collect.log")
        results_path.write_bytes(b"")
        child_env = build_env(env, results_path, Path(scratch, "tmp"))
        child_env[COLLECT_IDS_ENV] = "1"
        child_env["PYTHONDONTWRITEBYTECODE"] = "1"
        logger.debug("Collecting with %s in %s", shlex.join(command), cwd)
        with log_path.open("wb") as log:
            try:
                outcome = run_in_process_group(
                    command, cwd=cwd, env=child_env, output=log, timeout_s=timeout_s
                )
            except OSError as exc:
                raise RunnerError(f"Could not start {shlex.join(command)} in {cwd}: {exc}") from exc
        events = read_events(results_path)
        tail = read_tail(log_path, LOG_TAIL_CHARS)
    listed = events.collected_ids
    collection = Collection(
        rootdir=listed.rootdir if listed else None,
        ids=list(listed.ids) if listed else [],
        errors=events.collection_errors,
        missing_fixtures=dict(listed.missing_fixtures) if listed else {},
        exit_code=outcome.returncode,
        timed_out=outcome.timed_out,
        output_tail=tail,
        command=command,
    )
    logger.info(
        "collect-only in %s: exit %d, %d tests, %d collection errors",
        cwd,
        outcome.returncode,
        len(collection.ids),
        len(collection.errors),
    )
    return collection
