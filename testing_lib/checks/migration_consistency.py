"""core_infrastructure check "model/migration consistency".

In the target's own interpreter and root, a scratch database (same kind as the target's test
database) is upgraded to head with the target's alembic configuration and compared with its
models: what `alembic check` reports, plus enum values (CHECK constraints, PostgreSQL enum
types) that alembic does not compare, plus several heads. Any difference fails the phase.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from testing_lib.checks.base import PhaseCheck
from testing_lib.config.target import TargetConfig
from testing_lib.database.migrations import DriftReport
from testing_lib.exceptions import RunnerError
from testing_lib.report import CheckResult, CheckStatus
from testing_lib.runner import probe_interpreter
from testing_lib.runner.process import run_captured

NAME = "model/migration consistency"
TIMEOUT_S = 300.0
MAX_LISTED = 12


def _result(status: CheckStatus, details: str, **data: object) -> CheckResult:
    return CheckResult(name=NAME, status=status, details=details, data=dict(data))


def _target_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join([str(root), *([existing] if existing else [])])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_migration_report(target: TargetConfig, alembic_ini: Path) -> DriftReport:
    """Run `testing_lib.database.migration_report` in the target; its `DriftReport`."""
    with tempfile.TemporaryDirectory(prefix="remediation-migrations-") as scratch:
        output = Path(scratch, "report.json")
        command = [
            target.python,
            "-m",
            "testing_lib.database.migration_report",
            "--config",
            str(alembic_ini),
            "--url",
            target.testing.database.url,
            "--output",
            str(output),
        ]
        if target.metadata:
            command += ["--metadata", target.metadata]
        try:
            completed = run_captured(
                command, cwd=target.root, env=_target_env(target.root), timeout_s=TIMEOUT_S
            )
        except OSError as exc:
            raise RunnerError(f"could not start {target.python}: {exc}") from exc
        if completed.timed_out:
            raise RunnerError(
                f"the migration check did not finish within {TIMEOUT_S:g} s in {target.root}"
            )
        if not output.is_file():
            tail = completed.output[-2000:]
            raise RunnerError(
                f"the migration check exited with {completed.returncode} and no report: {tail}"
            )
        try:
            return DriftReport.model_validate_json(output.read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise RunnerError(f"the migration check wrote an unreadable report: {exc}") from exc


def check_model_migration_consistency(target: TargetConfig) -> CheckResult:
    if target.metadata is None:
        return _result(
            CheckStatus.WARNING,
            'not checked: the target names no models; add metadata = "package.module:Base" '
            "to [tool.remediation] in its pyproject.toml to compare models with migrations",
        )
    alembic_ini = target.root / target.testing.database.alembic_config
    if not alembic_ini.is_file():
        return _result(
            CheckStatus.WARNING,
            f"not checked: no alembic configuration at {alembic_ini}; set "
            "[tool.remediation.testing.database] alembic_config to the target's alembic.ini",
        )
    try:
        info = probe_interpreter(target.python)
    except RunnerError as exc:
        return _result(CheckStatus.FAILED, str(exc))
    if not info.has_testing_lib:
        return _result(
            CheckStatus.WARNING,
            f"not checked: {target.python} cannot import testing_lib; install "
            "remediation-engine in the target's environment",
        )
    try:
        report = run_migration_report(target, alembic_ini)
    except RunnerError as exc:
        return _result(CheckStatus.FAILED, str(exc))
    data = report.model_dump(mode="json")
    if not report.has_drift:
        return _result(CheckStatus.PASSED, report.summary(), **data)
    lines = report.problems + [item.detail for item in report.items]
    shown = "; ".join(lines[:MAX_LISTED])
    more = f" (and {len(lines) - MAX_LISTED} more)" if len(lines) > MAX_LISTED else ""
    return _result(
        CheckStatus.FAILED,
        f"models and migrations differ: {shown}{more}; add a migration "
        "(`alembic revision --autogenerate`, then edit enum/CHECK changes by hand)",
        **data,
    )


MIGRATION_CHECK = PhaseCheck(
    name=NAME,
    description="the target's migrations build exactly the schema its models describe",
    run=check_model_migration_consistency,
)
