"""Prefect's environment for the CLI, set before Prefect is first imported.

State goes to a project-local `.prefect/` under the working directory unless PREFECT_HOME
is set; analytics are off (no network here); the embedded server gets time to start on a
fresh database. PREFECT_API_URL is left alone: set it to use a running server instead.
A `remediate server` announces itself in its Prefect home (`SERVER_FILE`); a run with the
same home uses that server while it answers, and starts nothing.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import MutableMapping
from pathlib import Path

logger = logging.getLogger(__name__)

SERVER_FILE = "remediation-server.json"
HEALTH_TIMEOUT_S = 2.0
CONSOLE_LEVEL = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"


def configure_prefect_environment(
    environ: MutableMapping[str, str] | None = None, *, quiet: bool = True
) -> Path:
    env = os.environ if environ is None else environ
    home = Path(env.get("PREFECT_HOME") or Path.cwd() / ".prefect")
    env["PREFECT_HOME"] = str(home)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if quiet:  # the CLI prints the verdict itself; logs and tracebacks only on request
        env.setdefault(CONSOLE_LEVEL, "CRITICAL")
    else:
        env[CONSOLE_LEVEL] = "INFO"
    return home


def announce_server(path: Path, api_url: str) -> None:
    """Name a running server's API in its Prefect home (written whole, then renamed)."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}), encoding="utf-8")
    partial.replace(path)


def running_server(home: Path) -> str | None:
    """The API URL a `remediate server` on `home` announced, if that server answers now."""
    try:
        api_url = str(json.loads((home / SERVER_FILE).read_text(encoding="utf-8"))["api_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not api_url.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:")):
        return None  # only a server on this machine's loopback is used unasked
    import httpx

    try:
        healthy = httpx.get(f"{api_url}/health", timeout=HEALTH_TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        healthy = False
    if not healthy:
        logger.info("the server announced in %s does not answer: starting one", home)
        return None
    return api_url


def drain_prefect_workers(timeout_s: float = 10.0) -> None:
    """Send the logs and events Prefect still holds, while its API is up: call before
    stopping a server this process started (else they retry against a closed port)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=timeout_s)
