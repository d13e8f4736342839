"""The catalogue: which kind of cure answers which kind of failure.

Each entry maps a failure kind of the triage to the proposer that writes its patch (see
`context.Proposer`). A group whose kind has no entry, or whose proposer finds it is not its
case, has no mechanical cure: the report says the triage's advice, fitted to the target
(a third-party package to install, and whether the project declares it; an assertion to
read; a name that no longer exists).
"""

from __future__ import annotations

from testing_lib.cures import (
    async_mode,
    fixture_visibility,
    http_client_app,
    moved_imports,
    package_markers,
    skip_missing,
)
from testing_lib.cures.context import CureContext, Proposal, Proposer
from testing_lib.cures.cure_models import FailureGroup, NoCure

# tried in order: the first that proposes a cure, or says why there is none, answers
CATALOGUE: dict[str, tuple[Proposer, ...]] = {
    "async_without_plugin": (async_mode.propose,),
    "basename_clash": (package_markers.propose_for_clash,),
    "relative_import": (package_markers.propose_for_relative,),
    "missing_module": (moved_imports.propose, skip_missing.propose),
    "missing_fixture": (fixture_visibility.propose,),
    "type_error": (http_client_app.propose,),
}


def propose(group: FailureGroup, context: CureContext) -> Proposal:
    """The catalogue's cure for `group`, or why it has none."""
    for proposer in CATALOGUE.get(group.kind, ()):
        proposal = proposer(group, context)
        if proposal is not None:
            return proposal
    return NoCure(group.remediation)
