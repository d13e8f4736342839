"""Request-recording pytest plugin injected into a target's run (``-p remediation_requests``).

Inert unless ``REMEDIATION_REQUESTS_FILE`` is set. Then every HTTP request that reaches a
Starlette/FastAPI application in the test process (through httpx's ``ASGITransport``,
starlette's ``TestClient``, or an in-process server) is appended to the file as one JSON
line: the test's node id, the method, the path, whether an ``Authorization`` header or a
cookie was sent, and the response status (``null`` when the app raised before answering).

It wraps ``starlette.applications.Starlette.__call__`` (FastAPI calls it too) at configure
time, importing ``starlette.applications`` if the target has starlette (that module has no
import-time side effects); a request through a mounted sub-application is recorded once, by
the outermost app.

Standard library and pytest only, Python 3.9-compatible.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

REQUESTS_FILE_ENV = "REMEDIATION_REQUESTS_FILE"
_MARK = "remediation.recorded"

_state: dict[str, Any] = {"path": None, "nodeid": None, "original": None}


def _write(record: dict[str, Any]) -> None:
    path = _state["path"]
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")


def _header_names(scope: dict[str, Any]) -> set[str]:
    names = set()
    for name, _value in scope.get("headers") or []:
        names.add(name.decode("latin-1").lower() if isinstance(name, bytes) else str(name).lower())
    return names


def _patch() -> None:
    if _state["original"] is not None or not _state["path"]:
        return
    try:
        module = importlib.import_module("starlette.applications")
    except ImportError:  # not a Starlette/FastAPI project: nothing to record
        return
    starlette_class = module.Starlette
    original = starlette_class.__call__

    async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get(_MARK):
            await original(self, scope, receive, send)
            return
        scope[_MARK] = True
        statuses: list[int] = []

        async def recording_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                statuses.append(int(message.get("status", 0)))
            await send(message)

        headers = _header_names(scope)
        try:
            await original(self, scope, receive, recording_send)
        finally:
            current = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
            _write(
                {
                    "nodeid": _state["nodeid"] or current,
                    "method": str(scope.get("method", "")).upper(),
                    "path": str(scope.get("path", "")),
                    "authorization": "authorization" in headers,
                    "cookie": "cookie" in headers,
                    "status": statuses[0] if statuses else None,
                }
            )

    __call__.__wrapped__ = original  # type: ignore[attr-defined]
    starlette_class.__call__ = __call__
    _state["original"] = original


def _unpatch() -> None:
    original = _state["original"]
    module = sys.modules.get("starlette.applications")
    if original is not None and module is not None:
        module.Starlette.__call__ = original
    _state["original"] = None


def pytest_configure(config: Any) -> None:
    path = os.environ.get(REQUESTS_FILE_ENV)
    if path:
        _state["path"] = path
        if not hasattr(config, "workerinput"):
            _write({"event": "session_start", "pid": os.getpid()})
        _patch()


def pytest_unconfigure(config: Any) -> None:
    _unpatch()
    _state["path"] = None


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _state["nodeid"] = nodeid


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    _state["nodeid"] = None
