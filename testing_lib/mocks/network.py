"""The in-process network guard: an un-mocked outbound request fails the test, naming the URL.

Two layers, both refusing before any connection or DNS look-up is made:

- httpcore's connection pools (what httpx uses). respx patches the same methods, so a
  request respx answers never gets here, and `ASGITransport` requests never touch httpcore.
- `socket.getaddrinfo` and `socket.connect`/`connect_ex`, as a backstop for other clients.

Loopback stays open. When `REMEDIATION_NETWORK_FILE` is set (the service_integration check
sets it), every refusal is also appended there, with the test's node id, host and port.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NoReturn

import httpcore
import pytest

from testing_lib.runner.target_plugins import (
    NETWORK_FILE_ENV,
    current_test_id,
    is_loopback,
    write_record,
)

DEFAULT_PORTS = {"http": 80, "https": 443}
# httpcore's own methods, captured when the plugin loads (before any test starts respx).
_GENUINE_ASYNC = httpcore.AsyncConnectionPool.handle_async_request
_GENUINE_SYNC = httpcore.ConnectionPool.handle_request
_expected: ContextVar[bool] = ContextVar("remediation_expected_refusal", default=False)


@contextmanager
def expect_refusals() -> Iterator[None]:
    """Refusals inside this block are expected (a test of the guard itself): they still
    raise, and are recorded as expected, so the "no real network" check does not count them."""
    token = _expected.set(True)
    try:
        yield
    finally:
        _expected.reset(token)


class UnmockedRequestError(AssertionError):
    """A test tried to reach the network: mock the call (respx, `mock_openfda_service`)."""

    def __init__(self, what: str, *, host: str, port: int | None, url: str | None = None) -> None:
        self.what = what
        self.host = host
        self.port = port
        self.url = url
        super().__init__(
            f"un-mocked outbound network access in a test: {what}; mock it (respx, the "
            "mock_openfda_service fixture) or use a service on localhost"
        )


def record_attempt(
    host: str, port: int | None, how: str, *, url: str | None = None, layer: str = "httpx"
) -> None:
    """Append one attempt to the network record file, if the check asked for one."""
    path = os.environ.get(NETWORK_FILE_ENV)
    if path:
        write_record(
            path,
            {
                "nodeid": current_test_id() or "<outside any test>",
                "host": host,
                "port": port,
                "how": how,
                "url": url,
                "layer": layer,
                "expected": _expected.get(),
            },
        )


def refuse_url(method: str, url: str, host: str, port: int | None) -> NoReturn:
    """Record and refuse a request to `url`."""
    __tracebackhide__ = True
    record_attempt(host, port, f"{method} {url}", url=url)
    raise UnmockedRequestError(f"{method} {url}", host=host, port=port, url=url)


def _describe(request: httpcore.Request) -> tuple[str, str, str, int | None]:
    url = request.url
    scheme = url.scheme.decode(errors="replace")
    host = url.host.decode(errors="replace")
    port = url.port or DEFAULT_PORTS.get(scheme)
    shown_port = f":{url.port}" if url.port else ""
    target = url.target.decode(errors="replace")
    return request.method.decode(), f"{scheme}://{host}{shown_port}{target}", host, port


class NetworkGuard:
    """Refuses non-loopback traffic for one test; `blocked` lists the unexpected refusals."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    expect_refusals = staticmethod(expect_refusals)

    def refuse(self, what: str, host: str, port: int | None, url: str | None = None) -> NoReturn:
        __tracebackhide__ = True
        if not _expected.get():
            self.blocked.append(what)
        record_attempt(host, port, what, url=url, layer="httpx" if url else "socket")
        raise UnmockedRequestError(what, host=host, port=port, url=url)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        guard = self
        pool_async = httpcore.AsyncConnectionPool.handle_async_request
        pool_sync = httpcore.ConnectionPool.handle_request
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo

        # The wrappers keep the original method names: respx patches only a method whose
        # __name__ is the real one, and it passes `request` as a keyword when it falls
        # through to the original.
        async def handle_async_request(self: Any, request: httpcore.Request) -> httpcore.Response:
            __tracebackhide__ = True
            if not is_loopback(request.url.host):
                method, url, host, port = _describe(request)
                guard.refuse(f"{method} {url}", host, port, url)
            return await pool_async(self, request)

        def handle_request(self: Any, request: httpcore.Request) -> httpcore.Response:
            __tracebackhide__ = True
            if not is_loopback(request.url.host):
                method, url, host, port = _describe(request)
                guard.refuse(f"{method} {url}", host, port, url)
            return pool_sync(self, request)

        def check_address(sock: socket.socket, address: Any) -> None:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
                if not is_loopback(address[0]):
                    port = address[1] if len(address) > 1 else None
                    guard.refuse(f"connection to {address[0]}:{port}", str(address[0]), port)

        def connect(self: socket.socket, address: Any) -> None:
            check_address(self, address)
            real_connect(self, address)

        def connect_ex(self: socket.socket, address: Any) -> int:
            check_address(self, address)
            return real_connect_ex(self, address)

        def getaddrinfo(host: Any, port: Any = None, *args: Any, **kwargs: Any) -> Any:
            if not is_loopback(host):
                name = host.decode() if isinstance(host, bytes) else str(host)
                guard.refuse(f"DNS look-up of {name}:{port}", name, port)
            return real_getaddrinfo(host, port, *args, **kwargs)

        # A respx router started before this test (a session fixture) already sits on these
        # methods and would be bypassed by a wrapper on top: leave them to it, and to the
        # socket layer below, which still refuses whatever respx lets through.
        if pool_async is _GENUINE_ASYNC:
            monkeypatch.setattr(
                httpcore.AsyncConnectionPool, "handle_async_request", handle_async_request
            )
        if pool_sync is _GENUINE_SYNC:
            monkeypatch.setattr(httpcore.ConnectionPool, "handle_request", handle_request)
        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
