"""One run of a proof: the engine's single record of a pytest run made to prove a patch.

Every patch the engine offers (a cure of a failure group, a fix of an order-dependent
pair) is proven by real pytest runs on a scratch copy of the target; each run is recorded
the same way, with the command a person types to replay it and what it showed.
"""

from __future__ import annotations

from pydantic import BaseModel


class ProofRun(BaseModel):
    """One pytest run on the patched scratch copy, and whether it showed what it must."""

    name: str  # "before" / "after" (a phase's run), "replay", "victim alone", "failing order"
    command: str  # what ran, as a person replays it
    passed: bool
    detail: str = ""
    phase: str = ""  # the phase whose selection ran, for a phase's run
