"""Foundation check "test environment": can the target's tests run, and run safely?

Probes the target's own interpreter (Python and pytest versions, plugins the phases need)
and the variables its tests will see: the test database and Redis must be local or
in-memory, the JWT secret long enough, nothing pointing at a shared or production service.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from testing_lib.checks.base import PhaseCheck
from testing_lib.config.target import TargetConfig
from testing_lib.environment import MIN_SECRET_BYTES, test_environment_values
from testing_lib.exceptions import RunnerError
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.runner import probe_interpreter

_LOCAL_HOSTS = {"localhost", ""}


def _is_local(host: str | None) -> bool:
    if host is None or host.lower() in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _database_problem(url: str) -> str | None:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        return f"DATABASE_URL {url!r} is not a database URL: {exc}"
    if parsed.get_backend_name() == "sqlite":
        return None
    if not _is_local(parsed.host):
        return (
            f"test DATABASE_URL points at {parsed.host}, not this machine: set "
            "[tool.remediation.testing.database] url to a local or in-memory database"
        )
    if "test" not in (parsed.database or "").lower():
        return (
            f"test DATABASE_URL uses database {parsed.database!r}, whose name does not say "
            "test: use a dedicated test database ([tool.remediation.testing.database] url)"
        )
    return None


def _redis_problem(url: str) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname
    if not _is_local(host):
        return (
            f"test REDIS_URL points at {host}: use a local Redis or leave "
            "[tool.remediation.testing.services] redis_url empty to mock it"
        )
    return None


def check_test_environment(target: TargetConfig) -> CheckResult:
    problems: list[str] = []
    warnings: list[str] = []
    try:
        info = probe_interpreter(target.python)
    except RunnerError as exc:
        return CheckResult(name="test environment", status=CheckStatus.FAILED, details=str(exc))

    data: dict[str, object] = {"python": target.python, **info.model_dump()}
    if info.pytest_version is None:
        problems.append(f"{target.python} cannot import pytest: install pytest there")
    needs_timeout = [n for n, p in target.phases.items() if p.test_timeout_s is not None]
    if needs_timeout:
        data["per_test_timeout"] = (
            "pytest-timeout" if info.has_pytest_timeout else "the engine's own (no pytest-timeout)"
        )
    if not info.has_testing_lib:
        warnings.append(
            "the target's interpreter does not have testing_lib; its fixtures are unavailable, "
            "the engine passes the test environment through the process environment"
        )

    values = test_environment_values(target.testing)
    data["variables"] = sorted(values)
    for problem in (_database_problem(values["DATABASE_URL"]), _redis_problem(values["REDIS_URL"])):
        if problem:
            problems.append(problem)
    if len(values["JWT_SECRET"].encode()) < MIN_SECRET_BYTES:
        problems.append(
            f"the configured JWT secret is shorter than {MIN_SECRET_BYTES} bytes: lengthen "
            "[tool.remediation.testing.auth] jwt_secret or remove it to generate one per session"
        )

    summary = f"Python {info.python_version}, pytest {info.pytest_version or 'missing'}"
    if problems:
        return CheckResult(
            name="test environment",
            status=CheckStatus.FAILED,
            details=f"{summary}; " + "; ".join(problems),
            data=data,
        )
    if warnings:
        return CheckResult(
            name="test environment",
            status=CheckStatus.WARNING,
            details=f"{summary}; " + "; ".join(warnings),
            data=data,
        )
    return CheckResult(
        name="test environment",
        status=CheckStatus.PASSED,
        details=f"{summary}; test database and Redis are local; JWT secret generated per session",
        data=data,
    )


ENVIRONMENT_CHECK = PhaseCheck(
    name="test environment",
    description="the target's interpreter can run its tests against local, isolated services",
    run=check_test_environment,
)
