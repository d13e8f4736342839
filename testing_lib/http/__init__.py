"""In-process HTTP clients and response assertions for FastAPI/ASGI apps under test.

The names below are imported on first use (see `testing_lib.lazy_exports`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from testing_lib.http.app_loader import AppImportError, is_asgi_app, load_app
    from testing_lib.http.assertions import APIAssertionError, APITestUtils, describe_response
    from testing_lib.http.client import AppClient, TestClientFactory, import_test_client

__getattr__ = lazy_getattr(
    __name__,
    {
        "AppImportError": "app_loader",
        "is_asgi_app": "app_loader",
        "load_app": "app_loader",
        "APIAssertionError": "assertions",
        "APITestUtils": "assertions",
        "describe_response": "assertions",
        "AppClient": "client",
        "TestClientFactory": "client",
        "import_test_client": "client",
    },
)

__all__ = [
    "APIAssertionError",
    "APITestUtils",
    "AppClient",
    "AppImportError",
    "TestClientFactory",
    "describe_response",
    "import_test_client",
    "is_asgi_app",
    "load_app",
]
