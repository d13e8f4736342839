"""Constraint-observing pytest plugin injected into CI-profile runs.

Loaded with ``-p remediation_profile``; standard library and pytest only, Python 3.9 syntax.
Inert unless ``REMEDIATION_PROFILE_FILE`` is set. It writes one JSON object to that file at
the end of the session with what the pytest process itself saw: usable CPUs, the address
space limit, the variables a CI profile sets, the temporary directory, whether stdin is a
terminal, and the peak RSS of the process and of its waited-for children (in MB).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

import pytest

PROFILE_FILE_ENV = "REMEDIATION_PROFILE_FILE"
_VARIABLES = ("CI", "TZ", "LANG", "LC_ALL", "TERM", "TMPDIR", "HOME")


def _peak_mb() -> dict[str, float]:
    try:
        import resource
    except ImportError:  # not on Windows
        return {}
    scale = 1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0
    return {
        "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale,
        "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale,
    }


def _observed() -> dict[str, Any]:
    seen: dict[str, Any] = {"variables": {k: os.environ.get(k) for k in _VARIABLES}}
    try:
        seen["cpus"] = len(os.sched_getaffinity(0))
    except AttributeError:
        seen["cpus"] = os.cpu_count()
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        seen["memory_limit_mb"] = None if soft == resource.RLIM_INFINITY else soft // (1024 * 1024)
    except ImportError:
        seen["memory_limit_mb"] = None
    seen["tempdir"] = tempfile.gettempdir()
    seen["stdin_tty"] = sys.stdin is not None and sys.stdin.isatty()
    seen["environment_size"] = len(os.environ)
    return seen


def pytest_unconfigure(config: pytest.Config) -> None:
    path = os.environ.get(PROFILE_FILE_ENV)
    if not path or hasattr(config, "workerinput"):
        return
    record = _observed()
    record["peak_rss_mb"] = _peak_mb()
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(record, stream)
