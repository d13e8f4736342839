"""Domain errors; ``mdra.main`` turns each into ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations


class MDRAError(Exception):
    """Base of the errors the API reports with a stable code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(MDRAError):
    status_code = 404
    code = "not_found"


class ConflictError(MDRAError):
    status_code = 409
    code = "conflict"


class InvalidStatusTransitionError(MDRAError):
    status_code = 409
    code = "invalid_status_transition"


class ProjectLockedError(MDRAError):
    status_code = 409
    code = "project_completed"


class PermissionDeniedError(MDRAError):
    status_code = 403
    code = "forbidden"
