"""Package namespaces that import their modules on first use (PEP 562).

pytest loads the plugin in every run of the environment it is installed in, and importing
any of the library's modules runs its package's `__init__`: a package re-exporting its
names eagerly would import httpx, respx, fakeredis or PyJWT into runs that never use them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `exports` maps each name to its submodule."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
