"""The phase checks on generated targets, run for real through the target's pytest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from testing_lib.checks import (
    check_auth_paths,
    check_http_client_patterns,
    check_no_real_network,
    check_override_leaks,
)
from testing_lib.config.target import load_target_config
from testing_lib.gate_decision import decide_gate
from testing_lib.report import CheckStatus, PhaseStatus
from testing_lib.results import TestSuiteResult
from tests.http.conftest import DEMO_APP, write_files

INI = """
[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
pythonpath = ["."]
"""

# Code with a broad fallback: the network call is refused, swallowed, and the test passes,
# so only the network check can tell that it tried to reach openFDA.
QUIET_FETCH = """
import httpx


def fetch():
    try:
        return httpx.get("https://api.fda.gov/device/510k.json", params={"limit": 1}).json()
    except Exception:
        return {"results": []}


def test_search_falls_back_quietly():
    assert fetch() == {"results": []}


def test_stays_home():
    assert 1 + 1 == 2
"""


def _target(tmp_path: Path, remediation: str, files: dict[str, str]) -> Path:
    pyproject = INI + f'\n[tool.remediation]\npython = "{sys.executable}"\n' + remediation
    return write_files(tmp_path / "target", {"pyproject.toml": pyproject, **files})


def test_a_test_calling_the_real_openfda_host_fails_service_integration_naming_it(
    tmp_path: Path,
) -> None:
    root = _target(
        tmp_path,
        # without the testing library's plugin: only the injected socket guard stands guard
        '[tool.remediation.phases.service_integration]\npaths = ["tests/services"]\n'
        'pytest_args = ["-p", "no:remediation"]\n',
        {"tests/services/test_fda.py": QUIET_FETCH},
    )
    target = load_target_config(root)

    result = check_no_real_network(target)

    nodeid = "tests/services/test_fda.py::test_search_falls_back_quietly"
    assert result.status is CheckStatus.FAILED
    assert f"{nodeid} -> api.fda.gov:443" in result.details
    assert result.data["attempts"] == {nodeid: ["api.fda.gov:443"]}
    # refused at name resolution, so no connection could be opened
    assert {(r["how"], r["layer"]) for r in result.data["refusals"]} == {
        ("DNS look-up of", "socket")
    }
    suite = TestSuiteResult(suite_name="service_integration", passed_tests=2, total_tests=2)
    status, reason = decide_gate(
        "service_integration", suite, target.phase("service_integration"), [result]
    )
    assert status is PhaseStatus.FAILED
    assert "no real network" in reason
    assert f"{nodeid} -> api.fda.gov:443" in reason


def test_with_the_library_active_the_refusal_happens_at_the_httpx_layer(tmp_path: Path) -> None:
    root = _target(
        tmp_path,
        '[tool.remediation.phases.service_integration]\npaths = ["tests/services"]\n',
        {"tests/services/test_fda.py": QUIET_FETCH},
    )

    result = check_no_real_network(load_target_config(root))

    assert result.status is CheckStatus.FAILED
    assert "test_search_falls_back_quietly -> api.fda.gov:443" in result.details
    assert {r["layer"] for r in result.data["refusals"]} == {"httpx"}


def test_a_suite_that_stays_home_passes_the_network_check(tmp_path: Path) -> None:
    root = _target(
        tmp_path,
        '[tool.remediation.phases.service_integration]\npaths = ["tests"]\n',
        {"tests/test_home.py": "def test_home():\n    assert True\n"},
    )

    result = check_no_real_network(load_target_config(root))

    assert result.status is CheckStatus.PASSED, result.details
    assert result.data["tests_run"] == 1


AUTH_TESTS = """
async def test_me_refuses_a_missing_token(async_client):
    assert (await async_client.get("/me")).status_code == 401


async def test_admin_works_for_admins(admin_client):
    assert (await admin_client.get("/admin")).status_code == 200


async def test_a_non_admin_is_forbidden(authenticated_client):
    assert (await authenticated_client.get("/admin")).status_code == 403
"""


def test_protected_routes_never_called_without_a_valid_token_are_listed(tmp_path: Path) -> None:
    root = _target(
        tmp_path,
        'app = "demo_app:app"\n[tool.remediation.phases.service_integration]\npaths = ["tests"]\n',
        {"demo_app.py": DEMO_APP, "tests/test_auth.py": AUTH_TESTS},
    )

    result = check_auth_paths(load_target_config(root))

    assert result.status is CheckStatus.FAILED, result.details
    assert result.data["protected_routes"] == ["GET /me", "GET /admin"]
    assert result.data["not_exercised"] == ["GET /admin"]  # a 403 with a valid token is not it
    assert "1 of 2 protected routes" in result.details
    assert result.data["exercised"] == {
        "GET /me": ["tests/test_auth.py::test_me_refuses_a_missing_token"]
    }


def test_a_leaked_override_fails_final_validation_naming_the_test(tmp_path: Path) -> None:
    root = _target(
        tmp_path,
        'app = "demo_app:app"\n[tool.remediation.phases.final_validation]\npaths = ["tests"]\n',
        {
            "demo_app.py": DEMO_APP,
            "tests/test_leak.py": """
                from demo_app import app, get_greeting


                def test_forgets_to_undo():
                    app.dependency_overrides[get_greeting] = lambda: "stale"


                async def test_cleans_up(dependency_container, async_client):
                    dependency_container.override(get_greeting, lambda: "scoped")
                    assert (await async_client.get("/health")).json()["greeting"] == "scoped"
            """,
        },
    )

    result = check_override_leaks(load_target_config(root))

    assert result.status is CheckStatus.FAILED, result.details
    assert [leak["nodeid"] for leak in result.data["leaks"]] == [
        "tests/test_leak.py::test_forgets_to_undo"
    ]
    assert "left demo_app:app with added demo_app.get_greeting" in result.details


def test_checks_without_an_app_warn_and_say_how_to_configure(tmp_path: Path) -> None:
    target = load_target_config(_target(tmp_path, "", {"tests/test_x.py": "def test_x(): pass\n"}))

    for check in (check_auth_paths, check_override_leaks):
        result = check(target)
        assert result.status is CheckStatus.WARNING
        assert 'add app = "package.module:app" to [tool.remediation]' in result.details


def test_old_app_clients_fail_the_http_patterns_check_with_the_fix(tmp_path: Path) -> None:
    root = _target(
        tmp_path,
        "",
        {
            "tests/test_old.py": """
                import httpx


                async def test_old(app):
                    async with httpx.AsyncClient(app=app, base_url="http://t") as client:
                        await client.get("/")
            """
        },
    )

    result = check_http_client_patterns(load_target_config(root))

    assert result.status is CheckStatus.FAILED
    assert "tests/test_old.py:6 httpx.AsyncClient(app=...)" in result.details
    assert "remediate fix http-clients" in result.details


def test_the_two_service_checks_share_one_run_within_a_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from testing_lib.checks import instrumented

    root = _target(
        tmp_path,
        'app = "demo_app:app"\n[tool.remediation.phases.service_integration]\npaths = ["tests"]\n',
        {
            "demo_app.py": DEMO_APP,
            "tests/test_auth.py": AUTH_TESTS,
            "tests/test_fda.py": QUIET_FETCH,
        },
    )
    target = load_target_config(root)
    runs: list[str] = []
    real = instrumented.run_instrumented

    def counted(*args: Any, **kwargs: Any) -> instrumented.InstrumentedRun:
        runs.append(kwargs["suite_name"])
        return real(*args, **kwargs)

    monkeypatch.setattr(instrumented, "run_instrumented", counted)

    with instrumented.shared_runs():
        network = check_no_real_network(target)
        auth = check_auth_paths(target)

    assert runs == ["service_integration-observed"]  # one pytest run for both checks
    assert network.status is CheckStatus.FAILED
    assert "api.fda.gov" in network.details
    assert auth.data["not_exercised"] == ["GET /admin"]
    check_no_real_network(target)  # outside the block every check runs its own
    assert len(runs) == 2
