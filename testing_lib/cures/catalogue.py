"""The catalogue: which kind of cure answers which kind of failure.

Each entry maps a failure kind of the triage to the proposer that writes its patch (see
`context.Proposer`). A group whose kind has no entry, or whose proposer finds it is not its
case, has no mechanical cure: the report says the triage's advice, fitted to the target
(a third-party package to install, and whether the project declares it; an assertion to
read; a name that no longer exists).
"""

from __future__ import annotations

from testing_lib.cures.async_mode import propose as async_cure
from testing_lib.cures.context import CureContext, Proposal, Proposer
from testing_lib.cures.cure_models import FailureGroup, NoCure
from testing_lib.cures.fixture_visibility import propose as fixture_cure
from testing_lib.cures.http_client_app import propose as http_client_cure
from testing_lib.cures.moved_imports import propose as moved_import_cure
from testing_lib.cures.order_dependence import propose as order_dependence_cure
from testing_lib.cures.package_markers import propose_for_clash, propose_for_relative
from testing_lib.cures.skip_missing import propose as skip_missing_cure

# tried in order: the first that proposes a cure, or says why there is none, answers
CATALOGUE: dict[str, tuple[Proposer, ...]] = {
    "async_without_plugin": (async_cure,),
    "basename_clash": (propose_for_clash,),
    "relative_import": (propose_for_relative,),
    "missing_module": (moved_import_cure, skip_missing_cure),
    "missing_fixture": (fixture_cure,),
    "type_error": (http_client_cure,),
    "order_dependent": (order_dependence_cure,),
}


# failures that may come from the order the tests ran in (a test left state behind)
ORDER_SENSITIVE = frozenset({"assertion", "attribute_error", "type_error", "other"})


def propose(group: FailureGroup, context: CureContext) -> Proposal:
    """The catalogue's cure for `group`, or why it has none."""
    for proposer in CATALOGUE.get(group.kind, ()):
        proposal = proposer(group, context)
        if proposal is not None:
            return proposal
    if group.kind in ORDER_SENSITIVE and context.isolation is None:
        return NoCure(
            f"{group.remediation}; if these tests pass alone, `remediate isolation "
            f"{context.workspace.origin}` finds the test they fail after, and `remediate fix` "
            "then proves a fix for the pair"
        )
    return NoCure(group.remediation)
