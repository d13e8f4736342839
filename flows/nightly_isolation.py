"""Nightly isolation validation: the deep run (more orders, cleaners, replay confirmation).

It validates what `[tool.remediation.isolation]` selects (`paths`, `markers`, `pytest_args`;
each key left out follows the final_validation phase), so it can cover tests the gates leave
out, such as the example's planted order-dependent tests.

Keeps every report under TARGET/.remediation/isolation/ and names the order dependencies
that are new since the previous night. Ends `Failed` (raising `IsolationNotPassed`, which
carries the report) when any test's outcome depends on order (or validation could not run).
"""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from flows.defaults import EXAMPLE_TARGET
from flows.outcomes import IsolationNotPassed
from tasks.artifacts import artifact_key
from testing_lib.config.target import TargetConfig, load_target_config
from testing_lib.environment import test_environment_values
from testing_lib.exceptions import TargetConfigError
from testing_lib.isolation import IsolationReport, validate_isolation
from testing_lib.isolation.history import (
    new_order_dependencies,
    previous_reports,
    save_isolation_report,
)
from testing_lib.isolation.order_rendering import isolation_markdown
from testing_lib.isolation.preflight import find_tests
from testing_lib.locking import target_lock
from testing_lib.selection import Selection, resolve_isolation_selection

_FIX_PATHS = (
    "fix [tool.remediation.isolation].paths (or, when it is unset, "
    "[tool.remediation.phases.final_validation].paths)"
)


def checked_selection(target: TargetConfig) -> Selection:
    """The isolation selection, or `TargetConfigError` when it has no test to validate.

    Reads only, so it runs before the target's lock is taken and anything is written."""
    selection = resolve_isolation_selection(target)
    if not selection.runnable:
        raise TargetConfigError(
            f"none of the isolation paths exist in {target.root}: "
            f"{', '.join(selection.configured)}; {_FIX_PATHS}"
        )
    problem = find_tests(target.root, selection.existing).problem
    if problem is not None:
        raise TargetConfigError(f"{problem}: {_FIX_PATHS}, or point the flow at the tests")
    return selection


@task(task_run_name="isolation-{orders}-orders", cache_policy=NO_CACHE)
def run_isolation(target: TargetConfig, orders: int, seed: int | None) -> IsolationReport:
    """Validate what `[tool.remediation.isolation]` selects (by default final_validation's
    paths, markers and pytest_args)."""
    logger = get_run_logger()
    run = target.isolation_run()
    selection = checked_selection(target)
    if selection.missing:
        logger.warning(
            "isolation paths missing in %s, validating without them: %s",
            target.root,
            ", ".join(selection.missing),
        )
    if selection.unreadable:
        logger.warning(
            "cannot read %d folder(s) of the isolation selection in %s, so the tests in them "
            "are not validated: %s",
            len(selection.unreadable),
            target.root,
            ", ".join(selection.unreadable),
        )
    logger.info(
        "isolation selection of %s: %s%s",
        target.name,
        " ".join(selection.existing) or "pytest's testpaths",
        f" with {' '.join(run.extra_args)}" if run.extra_args else "",
    )
    report = validate_isolation(
        root=target.root,
        python=target.python,
        selection=list(selection.existing),
        orders=orders,
        seed=seed,
        timeout_s=max(900.0, target.phase("final_validation").timeout_s),
        env=test_environment_values(target.testing),
        extra_args=run.extra_args,
    )
    logger.info(
        "isolation of %s: score %.1f, %d order-dependent, seed %d (%d pytest executions)",
        target.name,
        report.isolation_score,
        len(report.order_dependent),
        report.seed,
        report.pytest_executions,
    )
    return report


def _nightly_run_name() -> str:
    from prefect.runtime import flow_run

    from flows.defaults import EXAMPLE_TARGET as default

    target = str(flow_run.parameters.get("target") or default)
    return f"isolation-{target.rstrip('/').rsplit('/', 1)[-1]}"


@flow(name="nightly-isolation", flow_run_name=_nightly_run_name, validate_parameters=True)
def nightly_isolation(
    target: str = str(EXAMPLE_TARGET), orders: int = 4, seed: int | None = None
) -> IsolationReport:
    """Run the target's isolation selection (`[tool.remediation.isolation]`, by default the
    final_validation phase's) in `orders` orders (seeded) and report order dependence."""
    config = load_target_config(target)
    checked_selection(config)  # before the lock: a target without tests is left untouched
    with target_lock(config.root):
        return _validate(config, orders, seed)


def _validate(config: TargetConfig, orders: int, seed: int | None) -> IsolationReport:
    logger = get_run_logger()
    history = previous_reports(config.root)
    report = run_isolation(config, orders, seed)
    saved = save_isolation_report(config.root, report)
    new = new_order_dependencies(history[-1][1] if history else None, report)
    markdown = isolation_markdown(report, config.name)
    if history:
        markdown += (
            f"\nNew since {history[-1][0].stem}: {', '.join(f'`{t}`' for t in new)}\n"
            if new
            else f"\nNothing new since {history[-1][0].stem}.\n"
        )
    create_markdown_artifact(
        key=artifact_key(config.name, "isolation"),
        markdown=markdown,
        description=f"isolation of {config.name}: score {report.isolation_score:.1f}",
    )
    logger.info("isolation report saved to %s (seed %d)", saved, report.seed)
    for test in new:
        logger.error("new order-dependent test since the last run: %s", test)
    if report.error:
        raise IsolationNotPassed(report, f"isolation validation could not finish: {report.error}")
    if report.order_dependent:
        raise IsolationNotPassed(
            report,
            f"{len(report.order_dependent)} order-dependent test(s) ({len(new)} new), "
            f"seed {report.seed}: {', '.join(report.order_dependent_tests[:5])}",
        )
    return report
