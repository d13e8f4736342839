"""service_integration check "auth token paths": every protected route is tested without a
valid token.

How it is observed, for real:

1. The app's routes come from the app itself (`[tool.remediation] app`), listed in the
   target's interpreter by `runner/target_plugins/remediation_routes.py`. A route is protected when
   its dependency tree holds a FastAPI security scheme (HTTPBearer, OAuth2PasswordBearer,
   APIKey*, ...) or a dependency named in `[tool.remediation.testing.auth] auth_dependencies`.
2. The phase's selection runs (in a phase run: the gate's run) with the injected
   `remediation_requests` plugin, which records every request that reaches a
   Starlette/FastAPI app in the test process (method, path, whether credentials were sent,
   response status) with the test that made it.
3. A protected route counts as exercised when some test's request matched it (method and
   path pattern) and was refused for its credentials: no `Authorization` header and 401/403,
   or an `Authorization` header and 401. A 403 for a valid token (a permission check) does
   not count. The check fails listing the protected routes no test refused that way.

Not seen: requests to a server in another process (a live uvicorn), and websocket routes.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testing_lib.checks.base import PhaseCheck
from testing_lib.checks.instrumented import observe_service_integration
from testing_lib.checks.observed import (
    REQUESTS_OBSERVER,
    InstrumentedRun,
    NotObserved,
    not_run_reason,
)
from testing_lib.config.pyproject import PYPROJECT, PyprojectError, read_document, tool_table
from testing_lib.config.target import TargetConfig
from testing_lib.environment import test_environment_values
from testing_lib.exceptions import RunnerError
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.runner.process import run_captured
from testing_lib.runner.runner import INJECT_DIR
from testing_lib.runner.target_plugins import REQUESTS_FILE_ENV

NAME = "auth token paths"
ROUTES_SCRIPT = INJECT_DIR / "remediation_routes.py"
TIMEOUT_S = 120.0
MAX_LISTED = 12


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    name: str = ""
    auth: bool = False
    auth_via: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{'|'.join(self.methods)} {self.path}"

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and self.pattern.match(path) is not None


def _result(status: CheckStatus, details: str, **data: Any) -> CheckResult:
    return CheckResult(name=NAME, status=status, details=details, data=dict(data))


def _pytest_pythonpath(root: Path) -> list[str]:
    """`[tool.pytest.ini_options] pythonpath` of the target, as absolute paths."""
    try:
        pytest_table = tool_table(read_document(root / PYPROJECT), "pytest")
    except (OSError, PyprojectError):
        return []
    options = pytest_table.get("ini_options", {}) if isinstance(pytest_table, dict) else {}
    entries = options.get("pythonpath", []) if isinstance(options, dict) else []
    if isinstance(entries, str):
        entries = entries.split()
    return [str((root / str(entry)).resolve()) for entry in entries]


def list_app_routes(target: TargetConfig) -> list[RouteInfo]:
    """The app's HTTP routes, listed in the target's interpreter. Raises RunnerError."""
    assert target.app is not None
    env = {**os.environ, **test_environment_values(target.testing)}
    paths = [str(target.root), *_pytest_pythonpath(target.root)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    with tempfile.TemporaryDirectory(prefix="remediation-routes-") as scratch:
        output = Path(scratch, "routes.json")
        command = [target.python, str(ROUTES_SCRIPT), "--app", target.app, "--output", str(output)]
        for dependency in target.testing.auth.auth_dependencies:
            command += ["--auth-dependency", dependency]
        try:
            completed = run_captured(command, cwd=target.root, env=env, timeout_s=TIMEOUT_S)
        except OSError as exc:
            raise RunnerError(f"could not start {target.python}: {exc}") from exc
        if completed.timed_out:
            raise RunnerError(f"listing the routes of {target.app} took over {TIMEOUT_S:g} s")
        if not output.is_file():
            tail = completed.output.strip()[-1500:]
            raise RunnerError(f"listing the routes of {target.app} failed: {tail}")
        answer = json.loads(output.read_text(encoding="utf-8"))
    if "error" in answer:
        raise RunnerError(
            f"[tool.remediation] app = {target.app!r} could not be loaded in {target.python}: "
            f"{answer['error']}; fix the import path (package.module:app) or the target's "
            "environment"
        )
    return [
        RouteInfo(
            path=item["path"],
            methods=tuple(item["methods"]),
            pattern=re.compile(item["regex"]),
            name=item.get("name", ""),
            auth=bool(item.get("auth")),
            auth_via=tuple(item.get("auth_via", [])),
        )
        for item in answer.get("routes", [])
    ]


def refused_for_credentials(record: dict[str, Any]) -> bool:
    """The request was turned away for missing or invalid credentials."""
    status = record.get("status")
    if record.get("authorization"):
        return bool(status == 401)
    return status in (401, 403)


def exercised_routes(
    routes: list[RouteInfo], records: list[dict[str, Any]]
) -> dict[str, list[str]]:
    """route label -> node ids of the tests that were refused on it for their credentials."""
    found: dict[str, set[str]] = defaultdict(set)
    for record in records:
        if not refused_for_credentials(record):
            continue
        method, path = str(record.get("method", "")), str(record.get("path", ""))
        for route in routes:
            if route.matches(method, path):
                found[route.label].add(str(record.get("nodeid") or "?"))
                break
    return {label: sorted(nodeids) for label, nodeids in found.items()}


def check_auth_paths(target: TargetConfig) -> CheckResult:
    """The check on its own: runs the phase's selection with the recorder, then judges it."""
    if target.app is None:
        return judge_auth_paths(target, NotObserved(CheckStatus.WARNING, ""))
    return judge_auth_paths(target, observe_service_integration(target))


def judge_auth_paths(target: TargetConfig, run: InstrumentedRun | NotObserved) -> CheckResult:
    """The verdict on a run that carried `REQUESTS_OBSERVER`."""
    if target.app is None:
        return _result(
            CheckStatus.WARNING,
            'not checked: the target names no app; add app = "package.module:app" to '
            "[tool.remediation] in its pyproject.toml so the check can list its protected routes",
        )
    try:
        routes = list_app_routes(target)
    except RunnerError as exc:
        return _result(CheckStatus.FAILED, str(exc))
    protected = [route for route in routes if route.auth]
    if not protected:
        return _result(
            CheckStatus.WARNING,
            f"not checked: no route of {target.app} declares an auth dependency (a FastAPI "
            "security scheme); name custom ones in [tool.remediation.testing.auth] "
            "auth_dependencies",
            routes=[route.label for route in routes],
        )
    if isinstance(run, NotObserved):
        return _result(run.status, run.details)
    reason = not_run_reason(run)
    if reason or run.sessions(REQUESTS_FILE_ENV) == 0:
        return _result(
            CheckStatus.WARNING,
            f"not checked: {reason or 'the request recorder did not start in the target'}",
            exit_code=run.suite.exit_code,
        )
    requests = run.events(REQUESTS_FILE_ENV)
    exercised = exercised_routes(protected, requests)
    missing = [route for route in protected if route.label not in exercised]
    data = {
        "protected_routes": [route.label for route in protected],
        "exercised": {label: nodeids[:5] for label, nodeids in exercised.items()},
        "not_exercised": [route.label for route in missing],
        "requests_recorded": len(requests),
    }
    if missing:
        listed = ", ".join(route.label for route in missing[:MAX_LISTED])
        more = f" (and {len(missing) - MAX_LISTED} more)" if len(missing) > MAX_LISTED else ""
        return _result(
            CheckStatus.FAILED,
            f"{len(missing)} of {len(protected)} protected routes are never called without a "
            f"valid token: {listed}{more}; add a test per route that sends no token or an "
            "invalid one (auth_fixtures.invalid_auth_variants()) and expects 401",
            **data,
        )
    return _result(
        CheckStatus.PASSED,
        f"all {len(protected)} protected routes were refused a missing or invalid token by at "
        f"least one test ({len(requests)} requests recorded)",
        **data,
    )


AUTH_PATHS_CHECK = PhaseCheck(
    name=NAME,
    description="every route with an auth dependency is tested without a valid token",
    run=check_auth_paths,
    observers=(REQUESTS_OBSERVER,),
    judge=judge_auth_paths,
)
