"""Which apps the override-leak detector compares before and after each test.

The configured app (`[tool.remediation] app`, once its module is imported) is always
watched; the client factory, the dependency container and the `remediation_app` fixture add
the apps they touch with `watch_app`. References are weak: an app nobody holds is dropped.
"""

from __future__ import annotations

import weakref
from typing import Any

_watched: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
_labels: dict[int, str] = {}


def has_overrides(app: object) -> bool:
    """True for objects with a FastAPI-style `dependency_overrides` dict."""
    return isinstance(getattr(app, "dependency_overrides", None), dict)


def watch_app(app: object, label: str | None = None) -> None:
    """Compare `app.dependency_overrides` before and after every test from now on."""
    if not has_overrides(app):
        return
    key = id(app)
    fresh = _watched.get(key) is not app
    try:
        _watched[key] = app
    except TypeError:  # not weak-referenceable: nothing to watch safely
        return
    if label is not None or fresh:
        _labels[key] = label or describe_app(app)


def watched_apps() -> dict[int, Any]:
    """id -> app for every watched app still alive."""
    alive = dict(_watched.items())
    for key in list(_labels):
        if key not in alive:
            del _labels[key]
    return alive


def app_label(app: object) -> str:
    return _labels.get(id(app)) or describe_app(app)


def describe_app(app: object) -> str:
    title = getattr(app, "title", None)
    kind = type(app).__name__
    return f"{kind} {title!r} at {id(app):#x}" if title else f"{kind} at {id(app):#x}"
