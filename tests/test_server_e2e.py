"""End to end, as a user of the Prefect UI: `remediate server` on a free loopback port, the
deployments triggered and retried through the REST API exactly as the UI calls it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import psutil
import pytest

from testing_lib.runner.process import terminate_process_tree
from tests.conftest import FAILING, four_phase_files, write_tree
from tests.test_cli_lifecycle import assert_all_gone, command_lines, hanging_target, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
TARGET_NAME = "e2e-target"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# What Prefect's own client retries: a busy server (its SQLite database locked under load)
# answers 503 and the request did nothing.
RETRIED_STATUSES = frozenset({429, 502, 503})


class Api:
    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        for attempt in range(5):
            response = self.client.request(method, path, json=body)
            if response.status_code not in RETRIED_STATUSES:
                break
            time.sleep(1 + attempt)
        return response

    def get(self, path: str) -> Any:
        response = self._send("GET", path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self._send("POST", path, body)

    def deployment(self, flow: str, name: str) -> dict[str, Any]:
        return dict(self.get(f"/deployments/name/{flow}/{name}"))

    def trigger(self, flow: str, name: str, parameters: dict[str, Any]) -> httpx.Response:
        deployment = self.deployment(flow, name)
        return self.post(
            f"/deployments/{deployment['id']}/create_flow_run", {"parameters": parameters}
        )

    def wait(
        self, flow_run_id: str, timeout_s: float = 300, *, after: str | None = None
    ) -> dict[str, Any]:
        """The run once it is in a terminal state (other than the state `after`)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            run = dict(self.get(f"/flow_runs/{flow_run_id}"))
            state = run["state"]
            if state and state["type"] in TERMINAL and state["id"] != after:
                return run
            time.sleep(1)
        raise AssertionError(f"flow run {flow_run_id} did not finish in {timeout_s}s")

    def task_runs(self, flow_run_id: str) -> list[tuple[str, str, int]]:
        """(name, state name, run count) of the flow run's task runs, oldest first."""
        body = {"flow_runs": {"id": {"any_": [flow_run_id]}}, "sort": "EXPECTED_START_TIME_ASC"}
        response = self.post("/task_runs/filter", body)
        response.raise_for_status()
        return [(t["name"], t["state"]["name"], t["run_count"]) for t in response.json()]

    def flow_runs_named(self, name: str) -> list[dict[str, Any]]:
        response = self.post("/flow_runs/filter", {"flow_runs": {"name": {"any_": [name]}}})
        response.raise_for_status()
        return list(response.json())

    def artifact_keys(self, prefix: str) -> set[str]:
        response = self.post("/artifacts/latest/filter", {"artifacts": {"key": {"like_": prefix}}})
        response.raise_for_status()
        return {a["key"] for a in response.json()}


class Served(NamedTuple):
    api: Api
    target: Path
    server: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("e2e")
    target = base / TARGET_NAME
    files = four_phase_files()
    files["tests/integration/api/test_api_broken.py"] = FAILING
    write_tree(target, files)
    home = base / "prefect-home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    # the served deployments ask for runs to start every second, not every 10 (Prefect's
    # default): a triggered run starts as soon as the test has triggered it
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"
    remediate = shutil.which("remediate", path=str(Path(sys.executable).parent))
    assert remediate, "the remediate console script is not installed next to this python"
    log = (base / "server.log").open("wb")
    popen = subprocess.Popen(
        [remediate, "server", "--port", str(port), "--target", str(target)],
        env=env,
        cwd=base,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    api = Api(f"http://127.0.0.1:{port}/api")
    try:
        deadline = time.monotonic() + 180
        while True:
            assert popen.poll() is None, (base / "server.log").read_text()[-3000:]
            try:
                api.deployment("nightly-isolation", "nightly-isolation")
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (base / "server.log").read_text()[-3000:]
                time.sleep(1)
        yield Served(api, target, popen)
    finally:
        terminate_process_tree(popen, grace_s=15)
        log.close()


def test_a_full_run_from_the_ui_then_a_retry_runs_only_what_failed(
    served: Served,
) -> None:
    api, target, _ = served
    response = api.trigger("full-remediation", "full-remediation", {"target": str(target)})
    assert response.status_code == 201, response.text
    run = api.wait(response.json()["id"])
    assert run["state"]["type"] == "FAILED"
    assert run["name"] == f"remediate-{TARGET_NAME}"
    attempt_one = api.task_runs(run["id"])
    first = {name: state for name, state, _ in attempt_one}
    assert first["phase-foundation"] == "Completed"
    assert first["phase-core_infrastructure"] == "Failed"
    assert "phase-service_integration" not in first
    keys = api.artifact_keys(f"{TARGET_NAME}-%")
    assert {f"{TARGET_NAME}-foundation-gate", f"{TARGET_NAME}-core-infrastructure-failures"} <= keys
    assert f"{TARGET_NAME}-remediation-summary" in keys

    fixed = "def test_fixed():\n    pass\n"
    (target / "tests/integration/api/test_api_broken.py").write_text(fixed)
    retry = api.post(
        f"/flow_runs/{run['id']}/set_state",
        {"state": {"type": "SCHEDULED", "name": "AwaitingRetry"}, "force": True},
    )
    assert retry.status_code in (200, 201), retry.text
    retried = api.wait(run["id"], after=run["state"]["id"])
    assert retried["state"]["type"] == "COMPLETED", retried["state"]
    retry_tasks = [(n, s) for n, s, _ in api.task_runs(run["id"])[len(attempt_one) :]]
    phases = [(n, s) for n, s in retry_tasks if n.startswith("phase-")]
    assert phases == [
        ("phase-foundation", "Cached"),
        ("phase-core_infrastructure", "Completed"),
        ("phase-service_integration", "Completed"),
        ("phase-final_validation", "Completed"),
    ]
    assert (
        len([n for n, _ in retry_tasks if n.startswith("run-phase")]) == 3
    )  # foundation not rerun
    assert len(api.flow_runs_named(f"foundation-{TARGET_NAME}")) == 1
    assert len(api.flow_runs_named(f"core-infrastructure-{TARGET_NAME}")) == 2


def test_rerun_phase_offers_only_the_four_phases(served: Served) -> None:
    api, target, _ = served
    rejected = api.trigger("run-phase", "rerun-phase", {"target": str(target), "phase": "warmup"})
    assert rejected.status_code == 409
    accepted = api.trigger(
        "run-phase", "rerun-phase", {"target": str(target), "phase": "foundation"}
    )
    assert accepted.status_code == 201, accepted.text
    run = api.wait(accepted.json()["id"])
    assert run["state"]["type"] == "COMPLETED"
    assert run["name"] == f"foundation-{TARGET_NAME}"


def test_nightly_isolation_carries_its_cron_schedule(served: Served) -> None:
    api, _, _ = served
    deployment = api.deployment("nightly-isolation", "nightly-isolation")
    (schedule,) = deployment["schedules"]
    assert schedule["schedule"]["cron"] == "0 2 * * *"
    assert schedule["schedule"]["timezone"] == "UTC"
    assert schedule["active"] is True


def test_a_cli_run_on_the_servers_prefect_home_runs_on_that_server(
    served: Served,
) -> None:
    api, target, _ = served
    home = target.parent / "prefect-home"
    before = len(api.flow_runs_named(f"foundation-{TARGET_NAME}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    remediate = shutil.which("remediate", path=str(Path(sys.executable).parent))
    assert remediate
    done = subprocess.run(
        [remediate, "run", str(target), "--phase", "foundation"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # the run is in the server's history (the UI shows it): no embedded server was started
    assert len(api.flow_runs_named(f"foundation-{TARGET_NAME}")) == before + 1


def test_a_sigkilled_server_leaves_no_process_behind(served: Served, tmp_path: Path) -> None:
    """Last in this module: it kills the module's server."""
    api, _, server = served
    target = tmp_path / "hanging"
    started = hanging_target(target)
    response = api.trigger(
        "run-phase", "rerun-phase", {"target": str(target), "phase": "foundation"}
    )
    assert response.status_code == 201, response.text
    wait_for(started, server)
    family = psutil.Process(server.pid).children(recursive=True)
    assert any("pytest" in command for command in command_lines(family))
    server.kill()
    server.wait(timeout=30)
    assert_all_gone(family)
