"""Mocks of the services a backend calls: openFDA (HTTP, respx), Redis (fakeredis), auth."""

from testing_lib.mocks.auth_service import create_mock_auth_service
from testing_lib.mocks.network import NetworkGuard, UnmockedRequestError, expect_refusals
from testing_lib.mocks.openfda import (
    ENDPOINT_PATHS,
    OpenFDAMock,
    SearchSyntaxError,
    SearchTerm,
    parse_search,
)
from testing_lib.mocks.service_factory import MockServiceFactory

__all__ = [
    "ENDPOINT_PATHS",
    "MockServiceFactory",
    "NetworkGuard",
    "OpenFDAMock",
    "SearchSyntaxError",
    "SearchTerm",
    "UnmockedRequestError",
    "create_mock_auth_service",
    "expect_refusals",
    "parse_search",
]
