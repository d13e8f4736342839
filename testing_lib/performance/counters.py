"""Process-wide counters of SQL statements and HTTP requests, installed once, read per test.

SQL: a `before_cursor_execute` listener on SQLAlchemy's `Engine` class counts statements of
every engine (an AsyncEngine runs through its sync Engine). HTTP: `httpx.Client.send` and
`httpx.AsyncClient.send` are wrapped, so every request counts whatever the transport:
network, `ASGITransport` (in-process app), `MockTransport`, respx mocks, starlette's
TestClient (an httpx.Client). Both are installed lazily, once the target has imported
the library, so a suite that never uses them pays nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


class Counters:
    __slots__ = ("_restore", "http", "sql")

    def __init__(self) -> None:
        self.sql = 0
        self.http = 0
        self._restore: dict[str, Callable[[], None]] = {}

    def install_available(self) -> None:
        """Hook the libraries imported since the last call (cheap when nothing is new)."""
        if "sqlalchemy" not in self._restore and "sqlalchemy" in sys.modules:
            self._install_sqlalchemy()
        if "httpx" not in self._restore and "httpx" in sys.modules:
            self._install_httpx()

    def _install_sqlalchemy(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        def count(*args: Any, **kwargs: Any) -> None:
            self.sql += 1

        event.listen(Engine, "before_cursor_execute", count)
        self._restore["sqlalchemy"] = lambda: event.remove(Engine, "before_cursor_execute", count)

    def _install_httpx(self) -> None:
        import httpx

        sync_send = httpx.Client.send
        async_send = httpx.AsyncClient.send

        def send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            self.http += 1
            return sync_send(client, request, **kwargs)

        async def asend(
            client: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
        ) -> httpx.Response:
            self.http += 1
            return await async_send(client, request, **kwargs)

        httpx.Client.send = send  # type: ignore[method-assign,assignment]
        httpx.AsyncClient.send = asend  # type: ignore[method-assign,assignment]

        def restore() -> None:
            httpx.Client.send = sync_send  # type: ignore[method-assign]
            httpx.AsyncClient.send = async_send  # type: ignore[method-assign]

        self._restore["httpx"] = restore

    def uninstall(self) -> None:
        for restore in self._restore.values():
            restore()
        self._restore.clear()
