"""`remediate server`: a Prefect server on loopback plus the three served deployments (and,
when asked, the automation that notifies of nightly isolation findings).

The server runs as a child process in its own process group; the deployments are served
from this process. One Ctrl-C stops serving and then the server, with everything it started.
While it is up, `PREFECT_HOME/remediation-server.json` names its API, so that `remediate
run` with the same Prefect home uses it instead of starting Prefect's embedded server.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from flows.prefect_env import SERVER_FILE, announce_server
from testing_lib.runner.process import terminate_process_tree

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0


class ServerStartError(RuntimeError):
    """The Prefect server did not come up; the message says why and where its log is."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_healthy(api_url: str, popen: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise ServerStartError(
                f"the Prefect server exited with code {popen.returncode} while starting; see {log}"
            )
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.5)
    raise ServerStartError(f"the Prefect server did not answer within {timeout_s:.0f}s; see {log}")


@contextmanager
def prefect_server(host: str, port: int, home: Path) -> Iterator[str]:
    """Start `prefect server start` on host:port with state under `home`; yield its API URL."""
    if not port_is_free(host, port):
        raise ServerStartError(f"{host}:{port} is already in use: pick another --port")
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    env = dict(
        os.environ,
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        # the event services that run automations (triggers and their actions): Prefect's
        # default, forced so that the nightly notifications cannot be switched off unseen
        PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED="true",
    )
    env.pop("PREFECT_API_URL", None)
    # the UI's pages call the API at this address (Prefect's default is port 4200 whatever
    # --port says); a team that serves the UI behind another address sets it themselves
    env.setdefault("PREFECT_UI_API_URL", f"http://{host}:{port}/api")
    command = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        host,
        "--port",
        str(port),
    ]
    with log.open("ab") as output:
        popen = subprocess.Popen(
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    api_url = f"http://{host}:{port}/api"
    announced = home / SERVER_FILE
    try:
        wait_healthy(api_url, popen, log, STARTUP_TIMEOUT_S)
        logger.info("Prefect server ready at %s (log: %s)", api_url, log)
        announce_server(announced, api_url)
        yield api_url
    finally:
        announced.unlink(missing_ok=True)
        terminate_process_tree(popen, grace_s=10)
        logger.info("Prefect server stopped")


def ensure_notifications(api_url: str, webhook_url: str) -> None:
    """Create or update the notification block and automations on `api_url` (nightly
    findings; runs waiting for approval of their cures)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments.notifications import ensure_notifications as ensure_automations

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        automations = ensure_automations(webhook_url)
    logger.info("notifications: automations %s", ", ".join(map(str, automations)))


def serve_deployments(
    api_url: str, *, target: str | None, timezone: str, nightly_cron: str
) -> None:
    """Serve the three deployments against `api_url` until interrupted."""
    from prefect import serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments.catalog import build_deployments

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        deployments = build_deployments(target=target, timezone=timezone, nightly_cron=nightly_cron)
        serve(*deployments, print_starting_message=False)
