"""Prefect's environment for the CLI, set before Prefect is first imported.

State goes to a project-local `.prefect/` under the working directory unless PREFECT_HOME
is set; analytics are off (no network here); the embedded server gets time to start on a
fresh database. PREFECT_API_URL is left alone: set it to use a running server instead.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import MutableMapping
from pathlib import Path

SERVER_START_LOCK = "embedded-server-start.lock"
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


def start_embedded_server(home: Path) -> None:
    """Start Prefect's embedded server now, unless PREFECT_API_URL names a server.

    The embedded server migrates its SQLite database as it starts; two engines doing it at
    once on one PREFECT_HOME break it ("duplicate column name"). Starting under an flock on
    the home makes the second wait for the first, then find the database migrated. Later
    Prefect calls in this process reuse the started server.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE

    if PREFECT_API_URL.value() or not PREFECT_SERVER_ALLOW_EPHEMERAL_MODE.value():
        return
    home.mkdir(parents=True, exist_ok=True)
    with (home / SERVER_START_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or we die
        SubprocessASGIServer().start()
