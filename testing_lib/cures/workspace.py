"""The proof engine's workspace: a scratch copy of the target and its phases' pytest runs.

Cures are proven one after another on one copy: each candidate's files are written into
it, the phases its group failed in run again, and the copy keeps the candidate when the
verdict says it cured the group and harmed nothing, else gets its files back. Each phase's
latest run on the copy's current content is kept, so a phase runs once before the first
cure and once after each cure that concerns it. Runs are the target's own: its interpreter,
each phase's selection, markers, pytest arguments, time limits and test environment.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.cures.cure_models import Change
from testing_lib.environment import test_environment_values
from testing_lib.exceptions import RunnerError
from testing_lib.organizer.pytest_settings import nested_pytest_home
from testing_lib.results import TestSuiteResult
from testing_lib.runner import probe_interpreter, run_pytest
from testing_lib.scratch_tree import scratch_copy
from testing_lib.selection import resolve_selection

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


def _has_pytest_timeout(python: str) -> bool:
    try:
        return probe_interpreter(python).has_pytest_timeout
    except RunnerError:
        return False


class Workspace:
    """A scratch copy of `target.root` with the cures kept so far written into it."""

    def __init__(
        self, target: TargetConfig, copy: Path, origin: Path, progress: Progress | None = None
    ) -> None:
        self.target = target
        self.origin = origin  # the target's own root, where a person replays a run
        self.copy = copy
        self.kept: dict[str, Change] = {}  # relative -> the change as the copy now holds it
        self._latest: dict[str, TestSuiteResult] = {}  # phase -> its run on the copy as it is
        self._progress = progress or (lambda message: None)
        self.runs = 0

    def read(self, relative: str) -> bytes | None:
        """A file of the copy as it now is (the cures kept so far included); None: absent."""
        path = self.copy / relative
        return path.read_bytes() if path.is_file() else None

    def exists(self, relative: str) -> bool:
        return (self.copy / relative).exists()

    def command(self, phase: PhaseName) -> str:
        """The phase's run as a person replays it (from the target's root)."""
        config = self.target.phase(phase)
        selection = resolve_selection(self.target, phase)
        args = [self.target.python, "-m", "pytest", "--continue-on-collection-errors"]
        if config.markers:
            args += ["-m", config.markers]
        if config.test_timeout_s and _has_pytest_timeout(self.target.python):
            args.append(f"--timeout={config.test_timeout_s:g}")  # as the proof ran it
        command = shlex.join([*args, *config.pytest_args, *selection.existing])
        home = self.origin / self.home(selection.existing).relative_to(self.copy)
        return f"cd {shlex.quote(str(home))} && {command}"

    def home(self, selection: Sequence[str]) -> Path:
        """Where a run of `selection` starts: the copy's root; for a bare run (the whole
        suite) of a project whose pytest configuration lives in one folder below it
        (`tests/pytest.ini`), that folder, as a developer runs it. Node ids are relative
        to it."""
        if selection:
            return self.copy
        return nested_pytest_home(self.copy) or self.copy

    def run(self, phase: PhaseName) -> TestSuiteResult:
        """The phase's run on the copy as it is now (made once per state of the copy)."""
        if phase not in self._latest:
            config = self.target.phase(phase)
            selection = resolve_selection(self.target, phase)
            if not selection.runnable:  # as the gate: none of its paths exist
                self._latest[phase] = TestSuiteResult(suite_name=f"cure-proof-{phase}")
                return self._latest[phase]
            self._progress(f"running {phase} on the scratch copy")
            self.runs += 1
            self._latest[phase] = run_pytest(
                cwd=self.home(selection.existing),
                selection=list(selection.existing),
                python=self.target.python,
                suite_name=f"cure-proof-{phase}",
                markers=config.markers,
                extra_args=list(config.pytest_args),
                timeout_s=config.timeout_s,
                test_timeout_s=config.test_timeout_s,
                env=test_environment_values(self.target.testing),
                confine_to=self.copy,
            )
        return self._latest[phase]

    def seed(self, phase: PhaseName, suite: TestSuiteResult) -> None:
        """Take `suite` as the phase's run on the copy as it is now."""
        self._latest[phase] = suite

    def write(self, changes: Sequence[Change]) -> dict[str, bytes | None]:
        """Write `changes` into the copy; returns what each file held before (None: absent)."""
        previous: dict[str, bytes | None] = {}
        for change in changes:
            path = self.copy / change.relative
            previous[change.relative] = self.read(change.relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(change.after)
        self._latest.clear()
        return previous

    def restore(
        self, previous: Mapping[str, bytes | None], runs: Mapping[str, TestSuiteResult]
    ) -> None:
        """Put back what `write` replaced, and the runs made on that content."""
        for relative, content in previous.items():
            path = self.copy / relative
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        self._latest = dict(runs)

    def keep(self, changes: Sequence[Change]) -> None:
        """Record `changes` as kept (a later change of the same file builds on it)."""
        for change in changes:
            earlier = self.kept.get(change.relative)
            if earlier is None:
                self.kept[change.relative] = change
            else:  # one file, several cures: one patch from the target's bytes
                self.kept[change.relative] = Change(
                    change.relative, earlier.before, change.after, earlier.created
                )

    def latest(self) -> dict[str, TestSuiteResult]:
        return dict(self._latest)


@contextmanager
def workspace(target: TargetConfig, progress: Progress | None = None) -> Iterator[Workspace]:
    """A workspace on a fresh scratch copy of the target, removed afterwards."""
    with scratch_copy(target.root) as copy:
        yield Workspace(target.model_copy(update={"root": copy}), copy, target.root, progress)
