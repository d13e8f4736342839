"""Flow-run names templated from a run's parameters (target name, phase)."""

from __future__ import annotations

from pathlib import Path

from prefect.runtime import flow_run


def _target_name() -> str:
    target = flow_run.parameters.get("target") or "target"
    return Path(str(target)).name or "target"


def remediation_run_name() -> str:
    return f"remediate-{_target_name()}"


def phase_run_name() -> str:
    phase = str(flow_run.parameters.get("phase", "phase")).replace("_", "-")
    return f"{phase}-{_target_name()}"
