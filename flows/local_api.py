"""The Prefect API a CLI run talks to, started before Prefect is imported.

Prefect's embedded server (what a flow call starts when no API is set) is a uvicorn child
serving Prefect's own server app on a free loopback port. Started through Prefect, it costs
the CLI the import of Prefect's server modules and then waits for the child to boot. Here
the CLI starts the same child first, with Prefect's own command line and settings, and
imports Prefect while the child boots on another core; the run then talks to it as to any
API (`PREFECT_API_URL`). It is stopped with its process group when the run ends.

The server migrates its SQLite database as it starts; two engines doing it at once on one
PREFECT_HOME break it ("duplicate column name"). The start holds an flock on the home until
the server answers, so a second engine waits, then finds the database migrated.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from testing_lib.runner.process import terminate_process_tree

SERVER_START_LOCK = "embedded-server-start.lock"
SERVER_LOG = "embedded-server.log"
PORT_TAKEN = 3  # uvicorn's exit code when its port was taken between the probe and the bind
POLL_S = 0.1
# What Prefect sets for its embedded server: no UI, and the server knows it is ephemeral.
EMBEDDED_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1"}
EMBEDDED_ENV["PREFECT__SERVER_FINAL"] = "1"


class LocalApiError(RuntimeError):
    """The local API server did not come up; the message says why and where its log is."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _command(port: int) -> list[str]:
    spec = importlib.util.find_spec("prefect")  # its location, without importing it
    if spec is None or not spec.submodule_search_locations:
        raise LocalApiError("prefect is not installed in this interpreter")
    app_dir = Path(next(iter(spec.submodule_search_locations))).parent
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(app_dir),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]


@dataclass
class LocalApi:
    home: Path
    lock: IO[str]
    log: IO[bytes]
    port: int = 0
    popen: subprocess.Popen[bytes] | None = None
    ready: bool = field(default=False)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def spawn(self) -> None:
        self.port = _free_port()
        self.popen = subprocess.Popen(
            _command(self.port),
            env={**os.environ, **EMBEDDED_ENV},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped as a group; Ctrl-C reaches the engine only
        )

    def wait_ready(self, timeout_s: float) -> str:
        """The API URL once the server answers; then the next engine may start its own."""
        import httpx

        deadline = time.monotonic() + timeout_s
        while not self.ready:
            assert self.popen is not None
            code = self.popen.poll()
            if code == PORT_TAKEN:
                self.spawn()
            elif code is not None:
                raise LocalApiError(
                    f"Prefect's API server exited with code {code} while starting; see "
                    f"{self.home / SERVER_LOG}"
                )
            try:
                self.ready = httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                pass  # not listening yet
            if not self.ready:
                if time.monotonic() > deadline:
                    raise LocalApiError(
                        f"Prefect's API server did not answer within {timeout_s:g} s (raise "
                        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS); see "
                        f"{self.home / SERVER_LOG}"
                    )
                time.sleep(POLL_S)
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        return self.api_url

    def stop(self) -> None:
        if self.popen is not None:
            terminate_process_tree(self.popen, grace_s=5)


@contextmanager
def local_api(home: Path) -> Iterator[LocalApi]:
    """Start Prefect's API server for this run under `home`; stopped when the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    with (
        (home / SERVER_START_LOCK).open("a") as lock,
        (home / SERVER_LOG).open("ab") as log,
    ):
        fcntl.flock(lock, fcntl.LOCK_EX)  # released once it answers, or when the file closes
        server = LocalApi(home=home, lock=lock, log=log)
        try:
            server.spawn()
            yield server
        finally:
            server.stop()
