"""Prefect's environment for the CLI, set before Prefect is first imported.

State goes to a project-local `.prefect/` under the working directory unless PREFECT_HOME
is set; analytics are off (no network here); the embedded server gets time to start on a
fresh database. PREFECT_API_URL is left alone: set it to use a running server instead.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path


def configure_prefect_environment(
    environ: MutableMapping[str, str] | None = None, *, quiet: bool = True
) -> Path:
    env = os.environ if environ is None else environ
    home = Path(env.get("PREFECT_HOME") or Path.cwd() / ".prefect")
    env["PREFECT_HOME"] = str(home)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if quiet:
        env.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    return home
