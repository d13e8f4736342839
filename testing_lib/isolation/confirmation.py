"""What the validator confirms in new pytest processes: each pair's replay, then the test
alone; a test that passes alone there though it failed alone in the search is traced to the
module whose import breaks it. Confirmed pairs are journaled as they are confirmed.

Part of `TestIsolationValidator` (a base class holding its confirmation steps).
"""

from __future__ import annotations

import threading
from pathlib import Path

from testing_lib.isolation.findings_journal import FindingsJournal
from testing_lib.isolation.import_effects import FreshRuns, confirm_alone
from testing_lib.isolation.order_models import ImportSideEffect, PolluterPair
from testing_lib.isolation.replay import Replayed, confirm_pair, replay_command
from testing_lib.isolation.suspects import Suspect
from testing_lib.runner.probe import probe_interpreter


class NewProcessConfirmation:
    """The confirmation steps; the validator sets these attributes."""

    root: Path
    python: str
    extra_args: list[str]
    timeout_s: float
    env: dict[str, str]
    journal: FindingsJournal | None
    _replay_prefix: tuple[str, bool]
    _ids: list[str]
    _lock: threading.Lock
    import_effects: list[ImportSideEffect]

    def _fresh(self, rootdir: str, xdist: bool) -> FreshRuns:
        fresh = FreshRuns(Path(rootdir), self.python, self.extra_args, self.timeout_s, self.env)
        fresh.xdist, fresh.project_root = xdist, str(self.root)
        return fresh

    def _replay(self, rootdir: str, suspect: Suspect) -> Replayed:
        """Replay the pair from pytest's rootdir, in new pytest processes; journal it."""
        replayed = self._confirm(rootdir, suspect)
        if self.journal is not None and replayed.status == "confirmed":
            assert suspect.located is not None
            assert suspect.located.found is not None
            prefix, xdist = self._replay_prefix
            self.journal.append(
                PolluterPair(
                    victim=suspect.test,
                    polluter=suspect.located.found,
                    kind="victim" if suspect.kind == "victim" else "brittle",
                    replay_command=replay_command(
                        suspect.located.found, suspect.test, prefix, xdist=xdist
                    ),
                    bisection_runs=suspect.located.runs,
                    confirmed=True,
                    confirmation="confirmed",
                    evidence=replayed.evidence,
                )
            )
        return replayed

    def _confirm(self, rootdir: str, suspect: Suspect) -> Replayed:
        """The pair's replay, then the test alone, each in new pytest processes: a verdict
        holds only where a developer's command reproduces it."""
        assert suspect.located is not None
        assert suspect.located.found is not None
        xdist = probe_interpreter(self.python).has_pytest_xdist
        replayed = confirm_pair(
            suspect.located.found,
            suspect.test,
            victim=suspect.kind == "victim",
            cwd=Path(rootdir),
            python=self.python,
            xdist=xdist,
            extra_args=self.extra_args,
            timeout_s=self.timeout_s,
            env=self.env,
        )
        if replayed.status != "confirmed":
            return replayed
        fresh = self._fresh(rootdir, xdist)
        brittle = suspect.kind == "brittle"
        prefix = self._replay_prefix[0]
        verdict, found = confirm_alone(replayed, suspect.test, brittle, fresh, self._ids, prefix)
        if found is not None:
            with self._lock:
                self.import_effects.append(found)
        return verdict
