"""final_validation check "CI profiles": the suite still passes under CI-like constraints.

Daytime (light), from the gate's own run: final_validation's gate runs with the `ci`
profile's variables set (CI=true, TZ=UTC, LANG=C, LC_ALL=C, TERM=dumb) and outbound network
refused by the network recorder, so a test that needs either fails the gate itself; the
check fails naming each test that tried to reach a non-loopback address, since that test
fails on an offline runner.

Deep (`remediate run --deep`, the nightly flow): runs the phase's selection unconstrained,
then under each profile (default `ci` and `offline`; set
REMEDIATION_CI_PROFILES=ci,constrained,offline,parallel for all), and fails when a test that
passed in the baseline fails under a profile. A profile that cannot run here (no
pytest-xdist for `parallel`) is a warning naming what to install. Only a real profile run
shows the variable allowlist, a memory cap or one CPU.
"""

from __future__ import annotations

import os
from typing import cast

from testing_lib.checks.base import PhaseCheck
from testing_lib.checks.observed import (
    NETWORK_OBSERVER,
    InstrumentedRun,
    NotObserved,
    not_run_reason,
)
from testing_lib.checks.real_network import group_attempts, list_attempts
from testing_lib.ci import PROFILE_NAMES, CICDValidator, ProfileName
from testing_lib.ci.profiles import CI_ENV
from testing_lib.config.target import TargetConfig
from testing_lib.environment import test_environment_values
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.results import TestStatus
from testing_lib.runner.target_plugins import NETWORK_FILE_ENV
from testing_lib.selection import resolve_selection

NAME = "CI profiles"
PROFILES_ENV = "REMEDIATION_CI_PROFILES"
DEFAULT_PROFILES: tuple[ProfileName, ...] = ("ci", "offline")
DEEP_ONLY = "the variable allowlist and the constrained and parallel profiles run in deep runs"


def _profiles() -> list[ProfileName]:
    raw = os.environ.get(PROFILES_ENV, "")
    names = [n.strip() for n in raw.split(",") if n.strip()] or list(DEFAULT_PROFILES)
    unknown = [n for n in names if n not in PROFILE_NAMES]
    if unknown:
        raise ValueError(
            f"{PROFILES_ENV} names unknown profile(s) {unknown}: use {', '.join(PROFILE_NAMES)}"
        )
    return [cast(ProfileName, n) for n in names]


def check_ci_profiles(target: TargetConfig) -> CheckResult:
    selection = resolve_selection(target, "final_validation")
    phase = target.phase("final_validation")
    try:
        profiles = _profiles()
    except ValueError as exc:
        return CheckResult(name=NAME, status=CheckStatus.FAILED, details=str(exc))
    validator = CICDValidator(
        target.root,
        python=target.python,
        selection=list(selection.existing),
        env=test_environment_values(target.testing),
        extra_args=[*(["-m", phase.markers] if phase.markers else []), *phase.pytest_args],
        profiles=profiles,
        timeout_s=phase.timeout_s,
    )
    results = validator.validate_cicd_compatibility()
    data = {"profiles": [r.model_dump(mode="json") for r in results]}
    broken = [
        f"{r.environment}: {c.test} ({c.now.value if c.now else 'not run'})"
        for r in results[1:]
        for c in r.changed_tests
        if c.baseline is TestStatus.PASSED
    ]
    not_run = [f"{r.environment}: {r.not_run_reason}" for r in results if r.not_run_reason]
    if broken:
        return CheckResult(
            name=NAME,
            status=CheckStatus.FAILED,
            details=f"{len(broken)} test(s) pass unconstrained but not under a CI profile: "
            + "; ".join(broken[:6]),
            data=data,
        )
    if results[0].passed == 0:
        return CheckResult(
            name=NAME,
            status=CheckStatus.NOT_JUDGED,
            details="not judged: the unconstrained baseline passed no test, so no profile "
            "can show a test that only fails under it"
            + (f" ({'; '.join(not_run)})" if not_run else ""),
            data=data,
        )
    if not_run:
        return CheckResult(
            name=NAME, status=CheckStatus.WARNING, details="; ".join(not_run), data=data
        )
    return CheckResult(
        name=NAME,
        status=CheckStatus.PASSED,
        details=f"no test changed outcome under {', '.join(profiles)} "
        f"(baseline {results[0].passed} passed)",
        data=data,
    )


def judge_ci_from_gate(target: TargetConfig, run: InstrumentedRun | NotObserved) -> CheckResult:
    """The light verdict, from a gate run that carried `NETWORK_OBSERVER` and `CI_ENV`."""
    if isinstance(run, NotObserved):
        return CheckResult(name=NAME, status=run.status, details=run.details)
    if run.sessions(NETWORK_FILE_ENV) == 0:
        return CheckResult(
            name=NAME,
            status=CheckStatus.WARNING,
            details="not checked offline: the network recorder did not start in the gate's "
            f"pytest ({not_run_reason(run) or 'see the run log'})",
        )
    attempts = group_attempts([e for e in run.events(NETWORK_FILE_ENV) if not e.get("expected")])
    data = {"derived_from": "gate", "set_env": CI_ENV, "offline_attempts": attempts}
    if attempts:
        return CheckResult(
            name=NAME,
            status=CheckStatus.FAILED,
            details=f"{len(attempts)} test(s) fail on an offline CI runner: they tried to "
            f"reach the network: {list_attempts(attempts)}; mock these calls",
            data=data,
        )
    reason = not_run_reason(run)
    if reason:
        return CheckResult(
            name=NAME, status=CheckStatus.NOT_JUDGED, details=f"not judged: {reason}", data=data
        )
    return CheckResult(
        name=NAME,
        status=CheckStatus.PASSED,
        details=f"the gate ran {run.executed} tests with the ci profile's variables and the "
        f"network refused; none tried to reach it ({DEEP_ONLY})",
        data=data,
    )


CI_PROFILES_CHECK = PhaseCheck(
    name=NAME,
    description="the suite passes under CI environment, offline and other CI constraints",
    run=check_ci_profiles,
    observers=(NETWORK_OBSERVER,),
    judge=judge_ci_from_gate,
    gate_env=CI_ENV,
    deep=True,
)
