"""`APITestUtils`: response assertions whose failures show what came back.

Every failure is an `APIAssertionError` (an `AssertionError`) with the request, the status,
the body and what was expected; the helpers' own frames are hidden from pytest tracebacks
(`__tracebackhide__`), so the failure points at the test's line.

Error codes and validation errors are found in the shapes FastAPI apps use:
`{"detail": {"error_code": ...}}`, `{"error": {"code": ...}}`, `{"code": ...}`; and
`{"detail": [{"loc": [...]}, ...]}` or `{"error": {"details": [...]}}` for 422s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

BODY_LIMIT = 2000


class APIAssertionError(AssertionError):
    """A response was not what the test expected; carries the response."""

    def __init__(self, message: str, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"{message}\n{describe_response(response)}")


def describe_response(response: httpx.Response) -> str:
    """`GET /path -> 404` and the body (pretty JSON when it is JSON), truncated."""
    try:
        request = response.request
        line = f"{request.method} {request.url.raw_path.decode(errors='replace')}"
    except RuntimeError:  # a Response built without a request
        line = "response"
    try:
        body = json.dumps(response.json(), indent=2, ensure_ascii=False, default=str)
    except ValueError:
        body = response.text
    if len(body) > BODY_LIMIT:
        body = body[:BODY_LIMIT] + f"... ({len(body) - BODY_LIMIT} more characters)"
    return f"{line} -> {response.status_code}\nresponse body: {body or '<empty>'}"


def _json(response: httpx.Response, what: str) -> Any:
    __tracebackhide__ = True
    try:
        return response.json()
    except ValueError:
        raise APIAssertionError(f"{what}: the body is not JSON", response) from None


def find_error_code(data: Any) -> str | None:
    """The error code of an error body, in any of the usual places."""
    if not isinstance(data, dict):
        return None
    for container in (data.get("detail"), data.get("error"), data):
        if isinstance(container, dict):
            for key in ("error_code", "code"):
                value = container.get(key)
                if isinstance(value, str | int):
                    return str(value)
    return None


def find_validation_errors(data: Any) -> list[dict[str, Any]]:
    """The list of validation error items of a 422 body."""
    if not isinstance(data, dict):
        return []
    candidates: list[Any] = [data.get("detail"), data.get("errors")]
    error = data.get("error")
    if isinstance(error, dict):
        candidates += [error.get("details"), error.get("errors")]
    for candidate in candidates:
        if isinstance(candidate, list):
            return [item for item in candidate if isinstance(item, dict)]
    return []


def _matches_field(loc: Sequence[Any], field_name: str) -> bool:
    parts = [str(part) for part in loc]
    if not parts:
        return False
    if "." in field_name:
        wanted = field_name.split(".")
        return parts[-len(wanted) :] == wanted
    return parts[-1] == field_name


class APITestUtils:
    """Utilities for API endpoint testing."""

    @staticmethod
    def assert_success_response(response: httpx.Response, expected_status: int = 200) -> Any:
        """Assert the status (default 200) and return the JSON body (None for no content)."""
        __tracebackhide__ = True
        if response.status_code != expected_status:
            raise APIAssertionError(
                f"expected status {expected_status}, got {response.status_code}", response
            )
        if not response.content:
            return None
        return _json(response, f"status {expected_status} as expected")

    @staticmethod
    def assert_error_response(
        response: httpx.Response, expected_status: int, expected_error_code: str | None = None
    ) -> Any:
        """Assert an error status (and error code, when given); return the JSON body."""
        __tracebackhide__ = True
        if response.status_code != expected_status:
            raise APIAssertionError(
                f"expected error status {expected_status}"
                + (f" with code {expected_error_code!r}" if expected_error_code else "")
                + f", got {response.status_code}",
                response,
            )
        data = _json(response, f"status {expected_status} as expected")
        if expected_error_code is not None:
            actual = find_error_code(data)
            if actual != expected_error_code:
                found = f"{actual!r}" if actual is not None else "no error code"
                raise APIAssertionError(
                    f"expected error code {expected_error_code!r}, found {found}", response
                )
        return data

    @staticmethod
    def assert_validation_error(response: httpx.Response, field_name: str) -> Any:
        """Assert a 422 that names `field_name` (last `loc` item, or a dotted tail like
        "body.status"); return the JSON body."""
        __tracebackhide__ = True
        data = APITestUtils.assert_error_response(response, 422)
        errors = find_validation_errors(data)
        if not any(_matches_field(item.get("loc") or [], field_name) for item in errors):
            fields = sorted({".".join(str(p) for p in item.get("loc") or []) for item in errors})
            raise APIAssertionError(
                f"expected a validation error for field {field_name!r}; the errors name "
                f"{', '.join(fields) or 'no field'}",
                response,
            )
        return data
