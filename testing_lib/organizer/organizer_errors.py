"""The organizer's one error: it refused or failed to change the tree."""

from __future__ import annotations

from testing_lib.exceptions import TestInfrastructureError


class OrganizerError(TestInfrastructureError):
    """The organizer refused or failed to change the tree; the message names the fix."""
