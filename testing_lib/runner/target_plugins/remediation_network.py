"""Network-blocking pytest plugin injected into a target's run (``-p remediation_network``).

Inert unless ``REMEDIATION_NETWORK_FILE`` is set. Then, from ``pytest_configure`` to
``pytest_unconfigure``, every outbound connection or DNS look-up to a host that is not
loopback is refused *before* it happens (``socket.getaddrinfo``, ``gethostbyname[_ex]``,
``socket.connect``/``connect_ex`` on IPv4/IPv6 sockets), and one JSON line is appended to
the file: the node id of the test (or collector) that tried, the host, the port and how.
Unix sockets and loopback (localhost, 127.0.0.0/8, ::1) stay open.

The refusal raises ``NetworkBlockedError``, an ``OSError``, so clients see what they would
see on a machine without network; the record is written whatever the test does with it.
Not covered: raw UDP ``sendto`` without ``connect``, and code that resolves names through
other means (a C extension with its own resolver).

Standard library and pytest only, Python 3.9-compatible: the target may not have the
remediation engine installed. ``testing_lib.mocks.network`` appends to the same file.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from typing import Any

NETWORK_FILE_ENV = "REMEDIATION_NETWORK_FILE"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkBlockedError(ConnectionRefusedError):
    """An outbound connection from a test was refused before it was made."""


def is_loopback(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]").lower()
    if host in LOOPBACK_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def current_test_id() -> str:
    """The running test's node id, from pytest's PYTEST_CURRENT_TEST."""
    raw = os.environ.get("PYTEST_CURRENT_TEST", "")
    return raw.rsplit(" (", 1)[0] if raw else ""


def write_record(path: str, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(record, default=str) + "\n")


_state: dict[str, str | None] = {"path": None, "where": None}
_originals: dict[str, Any] = {}


def _refuse(how: str, host: Any, port: Any) -> None:
    path = _state["path"]
    where = _state["where"] or current_test_id() or "<outside any test>"
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if path:
        write_record(
            path,
            {"nodeid": where, "host": str(host), "port": port, "how": how, "layer": "socket"},
        )
    raise NetworkBlockedError(
        f"remediation: {how} {host}:{port} refused in {where}: tests must not reach the "
        "network; mock the call (respx) or use a service on localhost"
    )


def _getaddrinfo(host: Any, port: Any = None, *args: Any, **kwargs: Any) -> Any:
    if not is_loopback(host):
        _refuse("DNS look-up of", host, port)
    return _originals["getaddrinfo"](host, port, *args, **kwargs)


def _gethostbyname(host: Any) -> Any:
    if not is_loopback(host):
        _refuse("DNS look-up of", host, None)
    return _originals["gethostbyname"](host)


def _gethostbyname_ex(host: Any) -> Any:
    if not is_loopback(host):
        _refuse("DNS look-up of", host, None)
    return _originals["gethostbyname_ex"](host)


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        if not is_loopback(address[0]):
            _refuse("connection to", address[0], address[1] if len(address) > 1 else None)


def _connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _originals["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return int(_originals["connect_ex"](self, address))


def install(path: str) -> None:
    if _originals:
        return
    _state["path"] = path
    _originals.update(
        getaddrinfo=socket.getaddrinfo,
        gethostbyname=socket.gethostbyname,
        gethostbyname_ex=socket.gethostbyname_ex,
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
    )
    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _gethostbyname
    socket.gethostbyname_ex = _gethostbyname_ex
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    if not _originals:
        return
    socket.getaddrinfo = _originals["getaddrinfo"]
    socket.gethostbyname = _originals["gethostbyname"]
    socket.gethostbyname_ex = _originals["gethostbyname_ex"]
    socket.socket.connect = _originals["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _originals["connect_ex"]  # type: ignore[method-assign]
    _originals.clear()
    _state["path"] = None


def pytest_configure(config: Any) -> None:
    path = os.environ.get(NETWORK_FILE_ENV)
    if path:
        install(path)
        if not hasattr(config, "workerinput"):
            write_record(path, {"event": "session_start", "pid": os.getpid()})


def pytest_unconfigure(config: Any) -> None:
    uninstall()


def pytest_collectstart(collector: Any) -> None:
    _state["where"] = collector.nodeid or "<collection>"


def pytest_collectreport(report: Any) -> None:
    _state["where"] = None


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _state["where"] = nodeid


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    _state["where"] = None


__all__ = [
    "NETWORK_FILE_ENV",
    "NetworkBlockedError",
    "current_test_id",
    "install",
    "is_loopback",
    "uninstall",
    "write_record",
]
