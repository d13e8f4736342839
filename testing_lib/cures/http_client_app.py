"""httpx clients built with `app=`, which httpx 0.28 removed: the http-clients codemod as a cure.

Tests failing with `TypeError: AsyncClient.__init__() got an unexpected keyword argument
'app'` get their modules rewritten to an explicit transport (`ASGITransport(app=...)`), what
httpx did itself before 0.28: the behaviour is unchanged, so the cure is safe; the proof
shows the tests now reach the app.
"""

from __future__ import annotations

import libcst as cst

from testing_lib.codemods.http_clients import rewrite_http_clients
from testing_lib.cures.context import CureContext, Proposal, module_path
from testing_lib.cures.cure_models import Candidate, Change, FailureGroup

KIND = "http-client-transport"


def propose(group: FailureGroup, context: CureContext) -> Proposal:
    """The transport rewrite of each failing module, for a group of `app=` type errors."""
    key = group.key or ""
    if not key.endswith("Client.__init__") or not any(
        "unexpected keyword argument 'app'" in message for message in group.messages.values()
    ):
        return None
    changes: dict[str, Change] = {}
    rewrites = 0
    for node in group.tests:
        module = module_path(context, node)
        if module is None or module in changes:
            continue
        text = context.text(module)
        if text is None:
            continue
        try:
            result = rewrite_http_clients(text)
        except cst.ParserSyntaxError:
            continue
        if result.rewrites:
            changes[module] = context.edit(module, result.code)
            rewrites += len(result.rewrites)
    if not changes:
        return None
    return Candidate(
        KIND,
        f"build {rewrites} httpx client(s) with an explicit transport instead of `app=` "
        f"(httpx 0.28 removed it) in {len(changes)} module(s)",
        True,
        tuple(changes.values()),
    )
