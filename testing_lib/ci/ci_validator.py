"""`CICDValidator`: the suite run for real under each CI profile, against a baseline.

Every run goes through `run_pytest` with the target's interpreter wrapped by a launcher that
applies the profile's constraints before exec (so the probe, pytest and its workers are all
constrained) and the injected `remediation_profile` plugin, which records what the pytest
process itself observed: CPUs, the memory limit, the CI variables, TMPDIR, peak RSS.
Each result lists the tests whose outcome differs from the unconstrained baseline run.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from testing_lib.ci.profiles import PROFILE_NAMES, CIProfile, ProfileName, build_profile
from testing_lib.exceptions import RunnerError
from testing_lib.results import TestStatus, TestSuiteResult
from testing_lib.runner import run_pytest
from testing_lib.runner.target_plugins import NETWORK_FILE_ENV

logger = logging.getLogger(__name__)

LAUNCHER = Path(__file__).resolve().parent / "_launcher.py"
PROFILE_PLUGIN = "remediation_profile"
PROFILE_FILE_ENV = "REMEDIATION_PROFILE_FILE"
NET_GUARD_PLUGIN = "remediation_network"


class ChangedTest(BaseModel):
    test: str
    baseline: TestStatus | None  # None: not run in the baseline
    now: TestStatus | None  # None: not run under the profile


class CICDValidationResult(BaseModel):
    """One run of the suite under one profile."""

    environment: str  # "baseline" or a profile name
    test_success_rate: float  # passed / executed (skipped left out), 0..100
    execution_time_ms: float
    resource_usage: dict[str, Any] = Field(default_factory=dict)  # observed inside the run
    issues_detected: list[str] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    description: str = ""
    mechanisms: list[str] = Field(default_factory=list)  # how each constraint was applied
    changed_tests: list[ChangedTest] = Field(default_factory=list)
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    exit_code: int | None = None
    not_run_reason: str | None = None


@functools.lru_cache(maxsize=1)
def can_create_network_namespace() -> bool:
    """Whether this process may unshare(CLONE_NEWNET) (tried in a throwaway child)."""
    if not sys.platform.startswith("linux"):
        return False
    code = (
        "import ctypes,sys;"
        "sys.exit(0 if ctypes.CDLL(None, use_errno=True).unshare(0x40000000) == 0 else 1)"
    )
    try:
        completed = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return completed.returncode == 0


def _has_module(python: str, module: str) -> bool:
    code = f"import importlib.util,sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 1)"
    try:
        completed = subprocess.run(
            [python, "-c", code],
            capture_output=True,
            timeout=60,
            check=False,
            cwd=tempfile.gettempdir(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return completed.returncode == 0


class CICDValidator:
    """Runs a target's suite under named CI profiles (`ci`, `constrained`, `offline`,
    `parallel`) and a baseline, each a real pytest run with the target's interpreter."""

    def __init__(
        self,
        root: Path,
        *,
        python: str = sys.executable,
        selection: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
        profiles: Sequence[ProfileName] = PROFILE_NAMES,
        memory_limit_mb: int = 2048,
        timeout_s: float = 900,
    ) -> None:
        self.root = Path(root).resolve()
        self.python = os.fspath(python)
        self.selection = list(selection)
        self.env = dict(env or {})
        self.extra_args = list(extra_args)
        self.profiles = [build_profile(name, memory_limit_mb=memory_limit_mb) for name in profiles]
        self.timeout_s = timeout_s
        self.environments = ["baseline", *(p.name for p in self.profiles)]

    def validate_cicd_compatibility(self) -> list[CICDValidationResult]:
        """The baseline run, then one run per profile, each compared with the baseline."""
        baseline, result = self._run(None, None)
        results = [result]
        for profile in self.profiles:
            results.append(self._run(profile, baseline)[1])
        return results

    def validate_resource_constraints(
        self, env_type: ProfileName = "constrained"
    ) -> CICDValidationResult:
        """One profile's run compared with a fresh baseline."""
        baseline, _ = self._run(None, None)
        return self._run(build_profile(env_type), baseline)[1]

    def simulate_cicd_environment(self, env_type: ProfileName) -> dict[str, Any]:
        """What a profile applies (nothing is simulated: `validate_*` runs it for real)."""
        profile = build_profile(env_type)
        return {
            "name": profile.name,
            "description": profile.description,
            "set_env": profile.set_env,
            "keep_env": sorted(profile.keep_env) if profile.keep_env is not None else None,
            "cpus": profile.cpus,
            "memory_limit_mb": profile.memory_limit_mb,
            "private_tmp": profile.private_tmp,
            "offline": profile.offline,
            "xdist_workers": profile.xdist_workers,
        }

    # -- one run --------------------------------------------------------------------------

    def _run(
        self, profile: CIProfile | None, baseline: TestSuiteResult | None
    ) -> tuple[TestSuiteResult | None, CICDValidationResult]:
        name = profile.name if profile else "baseline"
        with tempfile.TemporaryDirectory(prefix="remediation-ci-") as scratch_name:
            scratch = Path(scratch_name)
            observed_file = scratch / "observed.json"
            env = {**self.env, PROFILE_FILE_ENV: str(observed_file)}
            args = ["-p", PROFILE_PLUGIN, *self.extra_args]
            python = self.python
            mechanisms: list[str] = []
            if profile is not None:
                if profile.xdist_workers and not _has_module(self.python, "xdist"):
                    return None, CICDValidationResult(
                        environment=name,
                        description=profile.description,
                        test_success_rate=0.0,
                        execution_time_ms=0.0,
                        not_run_reason=f"{self.python} cannot import xdist: install pytest-xdist "
                        "in the target's environment to run the parallel profile",
                    )
                python, args, env, mechanisms = self._apply(profile, scratch, args, env)
            started = time.perf_counter()
            try:
                suite = run_pytest(
                    cwd=self.root,
                    selection=self.selection,
                    python=python,
                    suite_name=f"ci-{name}",
                    extra_args=args,
                    timeout_s=self.timeout_s,
                    env=env,
                )
            except RunnerError as exc:
                return None, CICDValidationResult(
                    environment=name,
                    description=profile.description if profile else "no constraint",
                    test_success_rate=0.0,
                    execution_time_ms=(time.perf_counter() - started) * 1000,
                    mechanisms=mechanisms,
                    not_run_reason=str(exc),
                )
            elapsed_ms = (time.perf_counter() - started) * 1000
            observed = _read_observed(observed_file)
        return suite, self._result(name, profile, suite, baseline, elapsed_ms, observed, mechanisms)

    def _apply(
        self,
        profile: CIProfile,
        scratch: Path,
        args: list[str],
        env: dict[str, str],
    ) -> tuple[str, list[str], dict[str, str], list[str]]:
        spec: dict[str, Any] = {"set_env": dict(profile.set_env)}
        mechanisms: list[str] = []
        if profile.keep_env is not None:
            spec["keep_env"] = sorted(profile.keep_env | set(self.env))
            mechanisms.append(
                f"environment scrubbed to {len(spec['keep_env'])} allowlisted variables "
                "(plus the target's test variables), then "
                + ", ".join(f"{k}={v}" for k, v in profile.set_env.items())
            )
        if profile.cpus:
            available = sorted(os.sched_getaffinity(0))
            spec["cpus"] = available[: profile.cpus]
            mechanisms.append(f"CPU affinity {spec['cpus']} (sched_setaffinity)")
        if profile.memory_limit_mb:
            spec["memory_limit_mb"] = profile.memory_limit_mb
            mechanisms.append(f"RLIMIT_AS {profile.memory_limit_mb} MB (address space, not RSS)")
        if profile.private_tmp:
            private = scratch / "tmp"
            private.mkdir()
            spec["set_env"]["TMPDIR"] = str(private)
            mechanisms.append("private TMPDIR, removed after the run")
        if profile.offline:
            if can_create_network_namespace():
                spec["network_namespace"] = True
                mechanisms.append(
                    "new network namespace with only loopback up: no route out for the "
                    "pytest process and everything it starts"
                )
            else:
                # The "no real network" check's guard; its records of refusals are kept
                # with the profile's scratch files.
                env[NETWORK_FILE_ENV] = str(scratch / "network.jsonl")
                args = ["-p", NET_GUARD_PLUGIN, *args]
                mechanisms.append(
                    "socket guard in the pytest process (no namespace permitted here): "
                    "non-loopback connects refused; subprocesses are not covered"
                )
        if profile.xdist_workers:
            if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
                args = ["-p", "xdist", *args]
            args = [*args, "-n", str(profile.xdist_workers)]
            mechanisms.append(f"pytest-xdist -n {profile.xdist_workers}")
        spec_path = scratch / "profile.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        launcher = scratch / "python"
        launcher.write_text(
            f"#!{self.python}\n"
            + LAUNCHER.read_text(encoding="utf-8")
            + f"\n\nmain({str(spec_path)!r}, {self.python!r}, sys.argv[1:])\n",
            encoding="utf-8",
        )
        launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR)
        return str(launcher), args, env, mechanisms

    def _result(
        self,
        name: str,
        profile: CIProfile | None,
        suite: TestSuiteResult,
        baseline: TestSuiteResult | None,
        elapsed_ms: float,
        observed: dict[str, Any],
        mechanisms: list[str],
    ) -> CICDValidationResult:
        changed: list[ChangedTest] = []
        if baseline is not None:
            before = {r.test_name: r.status for r in baseline.results}
            now = {r.test_name: r.status for r in suite.results}
            for test in sorted(set(before) | set(now)):
                if before.get(test) != now.get(test):
                    changed.append(
                        ChangedTest(test=test, baseline=before.get(test), now=now.get(test))
                    )
        issues = [
            f"{c.test}: {c.baseline.value if c.baseline else 'not run'} in the baseline, "
            f"{c.now.value if c.now else 'not run'} under {name}"
            for c in changed
        ]
        issues += [f"collection error in {e.nodeid}" for e in suite.collection_errors]
        if suite.timed_out:
            issues.append(f"the run hit its {self.timeout_s:.0f} s limit in {suite.running_test}")
        return CICDValidationResult(
            environment=name,
            description=profile.description if profile else "no constraint",
            test_success_rate=suite.gate_success_rate,
            execution_time_ms=elapsed_ms,
            resource_usage=observed,
            issues_detected=issues,
            recommendations=_recommend(name, changed),
            mechanisms=mechanisms,
            changed_tests=changed,
            passed=suite.passed_tests,
            failed=suite.failed_tests,
            errors=suite.error_tests,
            skipped=suite.skipped_tests,
            exit_code=suite.exit_code,
        )


_ADVICE: dict[str, str] = {
    "ci": "tests depend on the developer's environment (variables, locale, time zone): set "
    "what they need in fixtures (monkeypatch.setenv) instead of inheriting it",
    "constrained": "tests depend on CPU count, memory or the system temp dir: use tmp_path "
    "and size data for a small runner",
    "offline": "tests reach the network: mock outbound calls (respx / httpx.MockTransport)",
    "parallel": "tests share a resource across processes (files, ports, one database): give "
    "each worker its own (tmp_path, worker_id-suffixed names)",
}


def _recommend(name: str, changed: list[ChangedTest]) -> list[str]:
    worse = [c for c in changed if c.now in (TestStatus.FAILED, TestStatus.ERROR)]
    if not worse:
        return []
    return [f"{len(worse)} test(s) fail only under {name}: {_ADVICE.get(name, '')}"]


def _read_observed(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
