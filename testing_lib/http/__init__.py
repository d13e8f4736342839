"""In-process HTTP clients and response assertions for FastAPI/ASGI apps under test."""

from testing_lib.http.app_loader import AppImportError, is_asgi_app, load_app
from testing_lib.http.assertions import APIAssertionError, APITestUtils, describe_response
from testing_lib.http.client import AppClient, TestClientFactory, import_test_client

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
