"""Mocks of the services a backend calls: openFDA (HTTP, respx), Redis (fakeredis), auth.

The names below are imported on first use (see `testing_lib.lazy_exports`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
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

__getattr__ = lazy_getattr(
    __name__,
    {
        "create_mock_auth_service": "auth_service",
        "NetworkGuard": "network",
        "UnmockedRequestError": "network",
        "expect_refusals": "network",
        "ENDPOINT_PATHS": "openfda",
        "OpenFDAMock": "openfda",
        "SearchSyntaxError": "openfda",
        "SearchTerm": "openfda",
        "parse_search": "openfda",
        "MockServiceFactory": "service_factory",
    },
)

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
