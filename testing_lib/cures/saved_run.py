"""A phase's saved run standing for its first run on the scratch copy.

A phase's gate saves its run with the digest of the target's files it ran on and its
conditions (`PhaseReport.content_digest`, `run_conditions`). That run is the run the copy
would make, and the copy's first run of the phase is skipped, when all of these hold:

- the target's files are what the gate ran on (equal `content_digest`);
- it was made as a run of the copy is (equal `run_conditions`: the same selection, markers,
  pytest arguments, time limits, interpreter, test environment and engine, and no plugin
  or environment of the gate's checks that may change an outcome, such as the network
  blocked or a CI runner's variables);
- its test ids have the form a run of the copy gives them: the gate runs from the target's
  root, so the copy's run of the phase must too (a bare run of a project whose pytest
  configuration lives in a folder below the root starts there: never reused);
- it selected what the copy's run selects.

Its failures' texts name the target's files; they are rewritten to name the copy's, as the
copy's own run names them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.cures.workspace import Workspace
from testing_lib.fingerprint import run_conditions
from testing_lib.report import PhaseReport
from testing_lib.results import CollectionError, TestSuiteResult
from testing_lib.scratch_tree import NOT_COPIED
from testing_lib.selection import resolve_selection


@dataclass(frozen=True)
class FirstRunSource:
    """The saved run to take as the phase's first run on the copy, or why there is none."""

    suite: TestSuiteResult | None  # None: the phase runs on the copy
    why: str  # "using the latest run (saved ..., files unchanged)" / "files changed since ..."

    @property
    def progress(self) -> str:
        return self.why if self.suite is not None else f"{self.why}; running it on a scratch copy"

    @property
    def note(self) -> str:
        return self.why if self.suite is not None else f"{self.why}; ran on a scratch copy"


def _saved_at(report: PhaseReport) -> str:
    when = report.finished_at or report.started_at
    return f"saved {when.astimezone():%Y-%m-%d %H:%M}, " if when else ""


def _not_standing(
    target: TargetConfig, ws: Workspace, phase: PhaseName, digest: str, saved: PhaseReport
) -> str | None:
    """Why `saved` is not the run the copy would make of `phase`; None when it is."""
    if saved.suite is None:
        return f"the latest run has no test results ({saved.status.value})"
    if saved.content_digest is None or saved.run_conditions is None:
        return "the latest run did not record the files it ran on"
    if saved.content_digest != digest:
        return "files changed since the latest run"
    if saved.run_conditions != run_conditions(target, phase):
        return (
            "the latest run was made differently (another configuration or interpreter, "
            "split into shards, or with the network blocked or a CI runner's environment "
            "for its checks)"
        )
    selection = resolve_selection(ws.target, phase).existing
    home = ws.home(selection)
    if home != ws.copy:
        where = home.relative_to(ws.copy).as_posix()
        return f"the latest run started at the root, a run of the copy starts in {where}/"
    if saved.suite.selection != list(selection):
        return "the latest run selected other paths"
    return None


def first_run_source(
    target: TargetConfig,
    ws: Workspace,
    phase: PhaseName,
    digest: str,
    saved: PhaseReport | None,
) -> FirstRunSource:
    """Whether the phase's latest run (`saved`) stands for its first run on the copy of
    the target whose files have `digest` now (`content_digest`)."""
    if saved is None:
        return FirstRunSource(None, "no saved run")
    why = _not_standing(target, ws, phase, digest, saved)
    if why is not None or saved.suite is None:
        return FirstRunSource(None, why or "no saved run")
    suite = on_copy(saved.suite, [target.root, target.root.resolve()], ws.copy)
    return FirstRunSource(suite, f"using the latest run ({_saved_at(saved)}files unchanged)")


def on_copy(suite: TestSuiteResult, roots: Iterable[Path], copy: Path) -> TestSuiteResult:
    """`suite` as a run of `copy` reports it: the target's files, named in its failures by
    their absolute paths under one of `roots`, named under `copy` (a path into what the copy
    leaves out, e.g. the target's virtualenv, stays)."""
    left_out = "|".join(re.escape(name) for name in NOT_COPIED)
    longest_first = sorted({str(root) for root in roots}, key=len, reverse=True)
    names = "|".join(re.escape(root) for root in longest_first)
    pattern = re.compile(rf"(?:{names})(?![\w.-])(?!/(?:{left_out})(?![\w.-]))")
    replacement = str(copy)

    def moved(text: str | None) -> str | None:
        return pattern.sub(lambda _: replacement, text) if text else text

    return suite.model_copy(
        update={
            "results": [
                result.model_copy(
                    update={
                        "error_message": moved(result.error_message),
                        "error_traceback": moved(result.error_traceback),
                    }
                )
                for result in suite.results
            ],
            "collection_errors": [
                CollectionError(nodeid=error.nodeid, message=moved(error.message) or "")
                for error in suite.collection_errors
            ],
            "stderr_tail": moved(suite.stderr_tail) or "",
        }
    )
