"""Import the object a `"package.module:name"` setting names (metadata, app, dependency)."""

from __future__ import annotations

import importlib
import re
from typing import Any

IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


class ImportPathError(Exception):
    """`path` could not be imported; `reason` says why and how to fix it (one line)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def import_object(path: str, *, example: str = "package.module:name") -> Any:
    """Import `pkg.module:attr.sub`, or raise ImportPathError with the cause and the fix."""
    if not IMPORT_PATH.match(path):
        raise ImportPathError(path, f"write it as {example!r}")
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ImportPathError(
            path,
            f"module {exc.name!r} is not importable ({exc}); run from the project's root or "
            'put it on the path (pytest: `pythonpath = ["."]`)',
        ) from exc
    except Exception as exc:  # noqa: BLE001 - the project's own module may raise anything
        raise ImportPathError(
            path, f"importing {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    value: Any = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError as exc:
            raise ImportPathError(
                path, f"module {module_name!r} has no attribute {attribute!r}"
            ) from exc
    return value
