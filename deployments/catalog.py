"""The three deployments users see in the Prefect UI.

- `full-remediation`: the four phases on a target (parameters: target, phases, reuse_passed;
  cures: off, propose or ask, and approval_timeout_s for how long `ask` waits for a person).
- `rerun-phase`: one phase, always fresh (parameters: target, phase as a Literal of the four;
  cures and approval_timeout_s as above).
- `nightly-isolation`: order-dependence validation and the CI profile runs on a cron
  schedule (default 02:00 UTC).
"""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from flows.defaults import EXAMPLE_TARGET
from flows.nightly_isolation import nightly_isolation
from flows.phase import run_phase
from flows.remediation import full_remediation

FULL = "full-remediation"
RERUN = "rerun-phase"
NIGHTLY = "nightly-isolation"
DEFAULT_NIGHTLY_CRON = "0 2 * * *"


def _built(deployment: object) -> RunnerDeployment:
    """`to_deployment` is dual sync/async; called from sync code it returns the deployment."""
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def build_deployments(
    *,
    target: str | None = None,
    timezone: str = "UTC",
    nightly_cron: str = DEFAULT_NIGHTLY_CRON,
) -> list[RunnerDeployment]:
    default_target = target or str(EXAMPLE_TARGET)
    module = EntrypointType.MODULE_PATH
    tags = ["remediation"]
    return [
        _built(
            full_remediation.to_deployment(
                name=FULL,
                parameters={"target": default_target},
                description="The four gated phases; Retry re-runs only the phases that failed.",
                entrypoint_type=module,
                tags=tags,
            )
        ),
        _built(
            run_phase.to_deployment(
                name=RERUN,
                parameters={"target": default_target},
                description="Run one phase on its own, always fresh (no reuse of earlier passes).",
                entrypoint_type=module,
                tags=tags,
            )
        ),
        _built(
            nightly_isolation.to_deployment(
                name=NIGHTLY,
                parameters={"target": default_target, "ci_profiles": True},
                schedules=[Cron(nightly_cron, timezone=timezone)],
                description="Run the suite in several orders and find order-dependent tests; "
                "run it under the CI profiles.",
                entrypoint_type=module,
                tags=tags,
            )
        ),
    ]
