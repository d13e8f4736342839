"""What a kind of cure reads to propose a patch: the copy's files as the cures kept so far
left them, and the target's facts (its plugins, pytest configuration, modules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from testing_lib.cures.cure_models import Candidate, Change, FailureGroup, NoCure
from testing_lib.cures.groups import module_of
from testing_lib.cures.workspace import Workspace
from testing_lib.isolation.order_models import IsolationReport
from testing_lib.triage import TargetFacts


@dataclass
class CureContext:
    workspace: Workspace
    facts: TargetFacts
    isolation: IsolationReport | None = None  # the target's latest, for order dependence
    # proposals a kind may reuse while the files they patch are unchanged (ones that cost
    # pytest runs to find): the group's key -> the proposal
    found: dict[tuple[str, str | None], Proposal] = field(default_factory=dict)

    def read(self, relative: str) -> bytes | None:
        return self.workspace.read(relative)

    def text(self, relative: str) -> str | None:
        data = self.read(relative)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def edit(self, relative: str, after: str) -> Change:
        before = self.read(relative) or b""
        return Change(relative, before, after.encode("utf-8"))

    def create(self, relative: str, after: str = "") -> Change:
        return Change(relative, b"", after.encode("utf-8"), created=True)


Proposal = Candidate | NoCure | None
# A kind of cure: the patch it proposes for a group, why there is none, or None (not its case)
Proposer = Callable[[FailureGroup, CureContext], Proposal]

__all__ = ["CureContext", "Proposal", "Proposer", "module_of", "module_path"]


def module_path(context: CureContext, nodeid: str) -> str | None:
    """The target-relative path of a node id's module (ids are relative to pytest's rootdir,
    which is the pytest configuration's folder when that lies below the target)."""
    module = module_of(nodeid)
    config = context.facts.pytest_config
    folders = [""]
    if config is not None and "/" in config.path and not config.path.startswith("/"):
        folders.append(config.path.rsplit("/", 1)[0] + "/")
    for folder in folders:
        if context.workspace.exists(folder + module):
            return folder + module
    return None
