"""Outbound-network guard injected into "offline" runs where no network namespace is allowed.

Loaded with ``-p remediation_netguard``; standard library and pytest only, Python 3.9
syntax. Inert unless ``REMEDIATION_NET_GUARD=1``. Then ``socket.socket.connect`` (and
``connect_ex``, ``getaddrinfo`` for names) refuse every address that is not loopback or a
Unix socket, raising ``ConnectionRefusedError`` naming the address. It covers the pytest
process only, not subprocesses its tests start.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import pytest

GUARD_ENV = "REMEDIATION_NET_GUARD"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_saved: dict[str, Any] = {}


def _is_local(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str) or host in _LOCAL_NAMES or host == "":
        return isinstance(host, str)
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _refuse(address: Any) -> ConnectionRefusedError:
    return ConnectionRefusedError(
        f"outbound network is blocked in the offline profile (tried {address!r}): mock the "
        "call (respx, httpx.MockTransport) or mark the test as needing network"
    )


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(GUARD_ENV) != "1" or _saved:
        return
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )
    _saved.update(connect=connect, connect_ex=connect_ex, getaddrinfo=getaddrinfo)

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise _refuse(address)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise _refuse(address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_local(host):
            raise socket.gaierror(socket.EAI_NONAME, f"offline profile: {host!r} not resolved")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = guarded_getaddrinfo


def pytest_unconfigure(config: pytest.Config) -> None:
    if _saved:
        socket.socket.connect = _saved.pop("connect")  # type: ignore[method-assign]
        socket.socket.connect_ex = _saved.pop("connect_ex")  # type: ignore[method-assign]
        socket.getaddrinfo = _saved.pop("getaddrinfo")
