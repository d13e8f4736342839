"""Screenshots of a run waiting for approval of its cures, taken in a real browser.

    python deployments/screenshots/shoot_cure_approval.py [CHROMIUM]

Generates a small target whose only failure is curable (an unmarked async test under
pytest-asyncio's strict mode), starts `remediate server` on a free loopback port, runs
`full-remediation` with `cures=ask` through the API, and, in Chromium (playwright), shows
the Paused run, its Resume form and the proposal's artifact; approves the cure in the form
and shows the run once it passed. Writes cure-*.png next to this file.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

logger = logging.getLogger("shoot_cure_approval")
HERE = Path(__file__).resolve().parent
FILES = {
    "pyproject.toml": (
        '[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = "function"\n\n'
        "[tool.remediation]\n"
    ),
    "tests/unit/test_async_orders.py": (
        "import asyncio\n\n\nasync def test_order_total_awaits_prices():\n"
        "    await asyncio.sleep(0)\n"
    ),
    "tests/unit/test_money.py": "def test_rounds():\n    assert round(2.5) == 2\n",
    "tests/integration/api/test_api.py": "def test_api():\n    assert True\n",
    "tests/integration/database/test_db.py": "def test_db():\n    assert True\n",
    "tests/integration/services/test_services.py": "def test_services():\n    assert True\n",
    "tests/integration/auth/test_auth.py": "def test_auth():\n    assert True\n",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def until(what: str, check: Any, timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)
    raise SystemExit(f"{what}: not in {timeout_s:.0f} s")


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(1500)  # let the UI finish its transitions before the picture
    page.screenshot(path=str(HERE / name), full_page=False)
    logger.info("wrote %s", HERE / name)


def main(chromium: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="cure-shots-"))
    target = work / "shop-api"
    for relative, text in FILES.items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(text, encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(work / "home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"
    remediate = Path(sys.executable).with_name("remediate")
    server = subprocess.Popen(
        [str(remediate), "server", "--port", str(port), "--target", str(target)], env=env
    )
    try:
        api = httpx.Client(base_url=f"{base}/api", timeout=30)

        def deployment() -> Any:
            try:
                answer = api.get("/deployments/name/full-remediation/full-remediation")
            except httpx.TransportError:  # the server is still starting
                return None
            return answer.json() if answer.status_code == 200 else None

        dep = until("the deployments", deployment)
        parameters = {"target": str(target), "cures": "ask", "reuse_passed": False}
        run = api.post(
            f"/deployments/{dep['id']}/create_flow_run", json={"parameters": parameters}
        ).json()

        def state() -> str:
            return str(api.get(f"/flow_runs/{run['id']}").json()["state"]["type"])

        until("the Paused run", lambda: state() == "PAUSED")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{base}/runs/flow-run/{run['id']}")
            page.get_by_text("Paused").first.wait_for()
            shoot(page, "cure-paused.png")
            artifacts = api.post(
                "/artifacts/filter", json={"artifacts": {"key": {"like_": "%foundation-cures"}}}
            ).json()
            page.goto(f"{base}/runs/flow-run/{run['id']}")
            page.get_by_role("button", name="Resume").first.click()
            page.get_by_text("Approve every proven cure").first.wait_for()
            shoot(page, "cure-form.png")
            page.get_by_role("switch").first.click()  # the box of cure 1
            shoot(page, "cure-form-ticked.png")
            page.get_by_role("button", name="Submit").last.click()
            until("the run's end", lambda: state() in {"COMPLETED", "FAILED"})
            if state() != "COMPLETED":
                raise SystemExit(f"the approved run ended {state()}")
            page.goto(f"{base}/runs/flow-run/{run['id']}")
            page.get_by_text("Completed").first.wait_for()
            shoot(page, "cure-approved.png")
            page.goto(f"{base}/artifacts/artifact/{artifacts[0]['id']}")
            page.get_by_text("Proven cures for").first.wait_for()
            shoot(page, "cure-artifact.png")
            browser.close()
        logger.info("the run ended %s", state())
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/chromium")
