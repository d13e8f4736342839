"""Import the app under test from `[tool.remediation] app = "pkg.module:app"`."""

from __future__ import annotations

import inspect
from typing import Any

from testing_lib.exceptions import TargetConfigError
from testing_lib.importing import ImportPathError, import_object


class AppImportError(TargetConfigError):
    """`[tool.remediation] app` does not name an importable ASGI application."""

    def __init__(self, path: str, reason: str, *, where: str = "[tool.remediation] app") -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{where} = {path!r} cannot be used: {reason}")


def is_asgi_app(obj: object) -> bool:
    """An ASGI 3 application: a FastAPI/Starlette app or an `async (scope, receive, send)`."""
    if hasattr(obj, "router") and callable(obj):
        return True
    call = obj if inspect.isfunction(obj) else getattr(obj, "__call__", None)  # noqa: B004
    if call is None or not inspect.iscoroutinefunction(call):
        return False
    try:
        parameters = inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False
    return len(parameters) == 3


def _is_factory(obj: object) -> bool:
    if not inspect.isfunction(obj) or inspect.iscoroutinefunction(obj):
        return False
    required = [
        p
        for p in inspect.signature(obj).parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return not required


def load_app(path: str, *, where: str = "[tool.remediation] app") -> Any:
    """Import `pkg.module:attr`; an app factory without arguments is called once.

    Raises `AppImportError` naming the path, the reason and the fix.
    """
    try:
        value: Any = import_object(path, example="package.module:app")
    except ImportPathError as exc:
        raise AppImportError(path, exc.reason, where=where) from exc
    if not is_asgi_app(value) and _is_factory(value):
        try:
            value = value()
        except Exception as exc:  # noqa: BLE001 - the project's factory may raise anything
            raise AppImportError(
                path, f"calling the app factory raised {type(exc).__name__}: {exc}", where=where
            ) from exc
    if not is_asgi_app(value):
        raise AppImportError(
            path,
            f"{type(value).__name__} is not an ASGI application (a FastAPI/Starlette app or "
            "an app factory without arguments)",
            where=where,
        )
    return value
