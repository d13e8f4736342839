"""Proven cures for failure groups with a mechanical cause.

- `propose_cures(target, phases)`: the phases run on a scratch copy, each curable group's
  cure proven there (`CurePlan`: the report, the files an apply writes)
- `save_proposal` / `apply_proposal`: a plan kept under TARGET/.remediation/cures/, applied
  later only to the content it was proven on
- `CURE_KINDS`, `has_cure_to_try`: the catalogue's names, without loading it

The names are imported on first use (see `testing_lib.lazy_exports`): pointing at a cure
does not load libcst."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from testing_lib.cures.kinds import CURE_KINDS, has_cure_to_try
    from testing_lib.cures.proposals import Proposal, apply_proposal, save_proposal
    from testing_lib.cures.session import CurePlan, propose_cures

__getattr__ = lazy_getattr(
    __name__,
    {
        "CURE_KINDS": "kinds",
        "has_cure_to_try": "kinds",
        "Proposal": "proposals",
        "apply_proposal": "proposals",
        "save_proposal": "proposals",
        "CurePlan": "session",
        "propose_cures": "session",
    },
)

__all__ = [
    "CURE_KINDS",
    "CurePlan",
    "Proposal",
    "apply_proposal",
    "has_cure_to_try",
    "propose_cures",
    "save_proposal",
]
