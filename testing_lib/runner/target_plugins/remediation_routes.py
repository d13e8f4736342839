"""List an app's HTTP routes and which of them declare an auth dependency (run as a script).

    python remediation_routes.py --app pkg.module:app --output routes.json \
        [--auth-dependency pkg.module:get_current_user ...]

Runs in the target's interpreter and root (which it puts first on ``sys.path``). A route
declares auth when its dependency tree holds a FastAPI security scheme (HTTPBearer,
OAuth2PasswordBearer, APIKeyHeader, ...) or one of the ``--auth-dependency`` callables.
Writes ``{"routes": [...]}`` or ``{"error": "..."}``; exit status 0 either way once the
output is written. Standard library plus the target's own FastAPI; Python 3.9-compatible.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any


def _qualified(call: Any) -> str:
    module = getattr(call, "__module__", None) or type(call).__module__
    name = getattr(call, "__qualname__", None) or type(call).__qualname__
    return f"{module}:{name}"


def _security_types() -> tuple[type, ...]:
    try:
        from fastapi.security.base import SecurityBase
    except ImportError:  # not FastAPI: only --auth-dependency names count
        return ()
    return (SecurityBase,)


def _auth_via(
    dependant: Any, wanted: set[str], seen: set[int], chain: tuple[str, ...] = ()
) -> list[str]:
    """Each dependency chain ending in an auth dependency, e.g.
    "mdra.security:get_current_user -> fastapi.security.http:HTTPBearer"."""
    found: list[str] = []
    security = _security_types()
    for sub in getattr(dependant, "dependencies", None) or []:
        call = getattr(sub, "call", None)
        if call is None or id(sub) in seen:
            continue
        seen.add(id(sub))
        name = _qualified(call)
        if (security and isinstance(call, security)) or name in wanted:
            found.append(" -> ".join((*chain, name)))
        found.extend(_auth_via(sub, wanted, seen, (*chain, name)))
    return found


def _load(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    if not hasattr(value, "routes") and callable(value):
        value = value()  # an app factory
    return value


def _flat_routes(app: Any) -> list[Any]:
    """The app's routes with included routers expanded (FastAPI >= 0.150 includes lazily;
    older versions copy the routes of an included router into `app.routes`)."""
    routes = list(getattr(app, "routes", []))
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return routes
    return list(iter_route_contexts(routes))


def list_routes(app: Any, wanted: set[str]) -> list[dict[str, Any]]:
    routes = []
    for route in _flat_routes(app):
        methods = getattr(route, "methods", None)
        regex = getattr(route, "path_regex", None)
        if not methods or regex is None:
            continue  # mounts, websockets
        via = sorted(set(_auth_via(getattr(route, "dependant", None), wanted, set())))
        routes.append(
            {
                "path": route.path,
                "methods": sorted(m for m in methods if m != "HEAD"),
                "regex": regex.pattern,
                "name": getattr(route, "name", ""),
                "auth": bool(via),
                "auth_via": via,
            }
        )
    return routes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--auth-dependency", action="append", default=[])
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    try:
        app = _load(args.app)
        result: dict[str, Any] = {"routes": list_routes(app, set(args.auth_dependency))}
    except Exception as exc:  # noqa: BLE001 - reported to the engine, which names the fix
        result = {"error": f"{type(exc).__name__}: {exc}"}
    with open(args.output, "w", encoding="utf-8") as stream:
        json.dump(result, stream)
    return 0


if __name__ == "__main__":
    sys.exit(main())
