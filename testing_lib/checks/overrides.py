"""final_validation check "dependency-override leaks": no test leaves overrides behind.

Judges the phase's run (in a phase run the gate's: the whole suite by default) with
`REMEDIATION_OVERRIDES_FILE` set. The testing library's plugin in the target
(`testing_lib.di.leaks`) compares each watched app's `dependency_overrides` before a test's
setup and after its teardown, ignoring what wider-scoped fixtures own, and appends every
leak there; the check fails naming each test that leaked, the app and the dependencies. It
needs the library in the target's interpreter and `[tool.remediation] app` (the app it
watches)."""

from __future__ import annotations

from typing import Any

from testing_lib.checks.base import PhaseCheck
from testing_lib.checks.instrumented import SelectionNotRunnable, run_instrumented
from testing_lib.checks.observed import InstrumentedRun, NotObserved, Observer, not_run_reason
from testing_lib.config.target import TargetConfig
from testing_lib.di.leaks import RECORD_ENV
from testing_lib.exceptions import RunnerError
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.runner import probe_interpreter

NAME = "dependency-override leaks"
MAX_LISTED = 10
# The testing library's own plugin in the target records the leaks: nothing is injected.
OVERRIDES_OBSERVER = Observer("", RECORD_ENV)


def _result(status: CheckStatus, details: str, **data: Any) -> CheckResult:
    return CheckResult(name=NAME, status=status, details=details, data=dict(data))


def describe_leak(record: dict[str, Any]) -> str:
    parts = [
        f"{label} {', '.join(record.get(key) or [])}"
        for key, label in (("added", "added"), ("changed", "replaced"), ("removed", "removed"))
        if record.get(key)
    ]
    return f"{record.get('nodeid')} left {record.get('app')} with {'; '.join(parts)}"


def _cannot_watch(target: TargetConfig) -> CheckResult | None:
    """Why the target's runs cannot show leaks, or None."""
    if target.app is None:
        return _result(
            CheckStatus.WARNING,
            'not checked: the target names no app; add app = "package.module:app" to '
            "[tool.remediation] in its pyproject.toml so its dependency_overrides are watched",
        )
    try:
        info = probe_interpreter(target.python)
    except RunnerError as exc:
        return _result(CheckStatus.FAILED, str(exc))
    if not info.has_testing_lib:
        return _result(
            CheckStatus.WARNING,
            f"not checked: {target.python} cannot import testing_lib, whose pytest plugin "
            "watches the overrides; install remediation-engine in the target's environment",
        )
    return None


def check_override_leaks(target: TargetConfig) -> CheckResult:
    """The check on its own: runs the phase's selection with the recorder, then judges it."""
    cannot = _cannot_watch(target)
    if cannot is not None:
        return cannot
    try:
        run: InstrumentedRun | NotObserved = run_instrumented(
            target,
            "final_validation",
            observers=[OVERRIDES_OBSERVER],
            suite_name="final_validation-override-leaks",
        )
    except SelectionNotRunnable as exc:
        run = NotObserved(CheckStatus.WARNING, f"not checked: {exc}")
    except RunnerError as exc:
        run = NotObserved(CheckStatus.FAILED, str(exc))
    return judge_override_leaks(target, run)


def judge_override_leaks(target: TargetConfig, run: InstrumentedRun | NotObserved) -> CheckResult:
    """The verdict on a run that carried `OVERRIDES_OBSERVER`."""
    cannot = _cannot_watch(target)
    if cannot is not None:
        return cannot
    if isinstance(run, NotObserved):
        return _result(run.status, run.details)
    if run.sessions(RECORD_ENV) == 0:
        return _result(
            CheckStatus.WARNING,
            "not checked: the testing_lib plugin did not start in the target's pytest (is "
            "plugin autoloading disabled, or `-p no:remediation` set?); "
            f"{not_run_reason(run) or 'see the run log'}",
            exit_code=run.suite.exit_code,
        )
    leaks = run.events(RECORD_ENV)
    data = {"tests_run": run.executed, "leaks": leaks}
    if leaks:
        listed = "; ".join(describe_leak(leak) for leak in leaks[:MAX_LISTED])
        more = f" (and {len(leaks) - MAX_LISTED} more)" if len(leaks) > MAX_LISTED else ""
        return _result(
            CheckStatus.FAILED,
            f"{len(leaks)} test(s) left dependency_overrides changed: {listed}{more}; undo "
            "overrides after `yield` in the fixture that sets them, or use the "
            "dependency_container fixture",
            **data,
        )
    reason = not_run_reason(run)
    if reason:
        return _result(CheckStatus.NOT_JUDGED, f"not judged: {reason}", **data)
    return _result(
        CheckStatus.PASSED,
        f"{run.executed} tests ran; none left {target.app}'s dependency_overrides changed",
        **data,
    )


OVERRIDE_LEAK_CHECK = PhaseCheck(
    name=NAME,
    description="no test leaves the app's dependency_overrides changed for the next one",
    run=check_override_leaks,
    observers=(OVERRIDES_OBSERVER,),
    judge=judge_override_leaks,
)
