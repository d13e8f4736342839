"""Ordering and fork-worker pytest plugin injected into a target's pytest run.

Like ``remediation_collector`` it is put on the target's PYTHONPATH and loaded with
``-p remediation_order``; the target interpreter usually lacks the remediation engine, so
this plugin uses the standard library and pytest only, with Python 3.9-compatible syntax.
This module is its entry point: it re-exports the hooks of its parts, sibling modules it
imports by name from the same folder, so pytest registers them as this one plugin.

- ``remediation_order_file``: with ``REMEDIATION_ORDER_FILE`` set, the session runs exactly
  the tests that file names, in its order.
- ``remediation_order_worker``: with ``REMEDIATION_WORKER_SOCKET`` set, pytest collects
  once, then serves the engine's run requests over that Unix socket (the protocol is in
  that module), forking a child per request (``remediation_order_child``) that writes
  per-test events to a results file (``remediation_order_results``) and, on request, the
  state each test leaked (``remediation_order_leaks``).

It is inert unless one of those variables is set.
"""

from __future__ import annotations

from remediation_order_file import (  # type: ignore[import-not-found]
    ORDER_FILE_ENV,
    pytest_collection_modifyitems,
)
from remediation_order_worker import (  # type: ignore[import-not-found]
    WORKER_SOCKET_ENV,
    pytest_collectreport,
    pytest_runtestloop,
)

__all__ = [
    "ORDER_FILE_ENV",
    "WORKER_SOCKET_ENV",
    "pytest_collection_modifyitems",
    "pytest_collectreport",
    "pytest_runtestloop",
]
