"""Nightly isolation validation: the deep run (more orders, cleaners, replay confirmation).

It validates what `[tool.remediation.isolation]` selects (`paths`, `markers`, `pytest_args`;
each key left out follows the final_validation phase), so it can cover tests the gates leave
out, such as the example's planted order-dependent tests.

Keeps every report under TARGET/.remediation/isolation/, and beside them the history of
each order-dependent test (first seen, last seen, fixed): the artifact shows what is new
tonight, what is known, and what was fixed tonight. Ends `Failed` (raising
`IsolationNotPassed`, which carries the report) when any test's outcome depends on order
(or validation could not run).

With `ci_profiles` (the scheduled deployment sets it) the night also runs final_validation's
deep CI profile check, real runs under the `ci` and `offline` profiles (what `remediate run
--deep` runs), shown in the artifact; a test that fails only under a profile fails the night.

Ending `Failed` is not what notifies: known order dependence fails every night. The flow
emits `remediation.isolation.new-findings` when a test is order-dependent for the first
time, and `remediation.isolation.run-failed` when the night could not validate; the
automation of `deployments.notifications` sends on those (and on a crashed run).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

from flows.defaults import EXAMPLE_TARGET
from flows.outcomes import IsolationNotPassed
from tasks.artifacts import artifact_key
from testing_lib.checks.ci_profiles import check_ci_profiles
from testing_lib.config.target import TargetConfig, load_target_config
from testing_lib.environment import test_environment_values
from testing_lib.exceptions import TargetConfigError, TestInfrastructureError
from testing_lib.isolation import IsolationReport, validate_isolation
from testing_lib.isolation.dependence_history import advance
from testing_lib.isolation.fix_models import FixReport
from testing_lib.isolation.fix_plan import propose_fixes
from testing_lib.isolation.fix_proof import ProofSetup
from testing_lib.isolation.fix_rendering import fixes_markdown, save_patches
from testing_lib.isolation.history import (
    current_tracking,
    save_findings,
    save_isolation_report,
    save_tracking,
)
from testing_lib.isolation.history_rendering import findings_markdown
from testing_lib.isolation.night_events import (
    NEW_FINDINGS,
    RUN_FAILED,
    RunFailed,
    new_findings,
    resource,
)
from testing_lib.isolation.order_rendering import isolation_markdown
from testing_lib.isolation.preflight import find_tests
from testing_lib.isolation.validation_progress import IsolationProgress, heartbeat
from testing_lib.locking import target_lock
from testing_lib.report import CheckResult, CheckStatus
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
    progress = IsolationProgress()
    # a line in the run's log at least every 30 s: a long night is never silent
    with heartbeat(progress, lambda line: logger.info("isolation: %s", line)):
        report = validate_isolation(
            root=target.root,
            python=target.python,
            selection=list(selection.existing),
            orders=orders,
            seed=seed,
            timeout_s=max(900.0, target.phase("final_validation").timeout_s),
            env=test_environment_values(target.testing),
            extra_args=run.extra_args,
            progress=progress,
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


@task(task_run_name="ci-profiles", cache_policy=NO_CACHE)
def run_ci_profiles(target: TargetConfig) -> CheckResult:
    """final_validation's deep CI profile check: its selection unconstrained, then under
    each profile."""
    result = check_ci_profiles(target)
    get_run_logger().info("CI profiles: %s: %s", result.status.value, result.details)
    return result


def ci_profiles_markdown(result: CheckResult) -> str:
    return f"## CI profiles (deep)\n\n**{result.status.value}**: {result.details}\n"


@task(task_run_name="propose-fixes", cache_policy=NO_CACHE)
def propose_fixes_for(target: TargetConfig, report: IsolationReport) -> FixReport:
    """A proven fix (or why none) for each pair of `report`: the new ones, tonight. Each
    patch is proven on a scratch copy of the target; the target is not written."""
    setup = ProofSetup.of_target(target, report)
    fixes, _ = propose_fixes(report, setup, failing_orders={})
    get_run_logger().info(
        "fixes for %d new pair(s): %d proven", len(report.pairs), len(fixes.proven)
    )
    return fixes


def _nightly_run_name() -> str:
    from prefect.runtime import flow_run

    from flows.defaults import EXAMPLE_TARGET as default

    target = str(flow_run.parameters.get("target") or default)
    return f"isolation-{target.rstrip('/').rsplit('/', 1)[-1]}"


@flow(name="nightly-isolation", flow_run_name=_nightly_run_name, validate_parameters=True)
def nightly_isolation(
    target: str = str(EXAMPLE_TARGET),
    orders: int = 4,
    seed: int | None = None,
    ci_profiles: bool = False,
    cures: Literal["off", "propose"] = "propose",
) -> IsolationReport:
    """Run the target's isolation selection (`[tool.remediation.isolation]`, by default the
    final_validation phase's) in `orders` orders (seeded) and report order dependence;
    with `ci_profiles`, also run final_validation's selection under the CI profiles.
    `cures="propose"` (the default) proves a fix for each pair new tonight and publishes
    the proven ones with the artifact; nobody is asked at night, so there is no `ask`."""
    name = Path(target).expanduser().name or str(target)
    try:
        config = load_target_config(target)
        name = config.name
        checked_selection(config)  # before the lock: a target without tests is left untouched
        with target_lock(config.root):
            return _validate(config, orders, seed, ci_profiles, cures == "propose")
    except IsolationNotPassed as exc:
        if isinstance(exc.report, IsolationReport) and exc.report.error:
            _emit_run_failed(name, str(exc))
        raise
    except TestInfrastructureError as exc:  # says what to fix in its own words
        _emit_run_failed(name, str(exc))
        raise
    except Exception as exc:
        _emit_run_failed(name, f"{type(exc).__name__}: {exc}")
        raise


def _emit_run_failed(target: str, reason: str) -> None:
    """Tell the notification automation that this night could not validate."""
    try:
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = get_run_logger()
    except MissingContextError:  # called as a plain function (`nightly_isolation.fn`)
        logger = logging.getLogger(__name__)
    logger.info("telling the notification automation that %s could not run", target)
    payload = RunFailed(target=target, reason=reason[:2000])
    emit_event(RUN_FAILED, resource=resource(target), payload=payload.model_dump(mode="json"))


def _validate(
    config: TargetConfig, orders: int, seed: int | None, ci_profiles: bool, propose: bool
) -> IsolationReport:
    logger = get_run_logger()
    tracked = current_tracking(config.root)
    report = run_isolation(config, orders, seed)
    saved = save_isolation_report(config.root, report)
    tracked, findings = advance(tracked, report, report_name=saved.name)
    save_tracking(config.root, tracked)
    save_findings(config.root, saved, findings)
    markdown = isolation_markdown(report, config.name) + "\n" + findings_markdown(findings)
    new_pairs = [pair for pair in report.pairs if pair.victim in set(findings.new_tests)]
    if propose and new_pairs and not report.error:
        fixes = propose_fixes_for(config, report.model_copy(update={"pairs": new_pairs}))
        patches = save_patches(config.root, saved.stem, fixes)
        markdown += "\n" + fixes_markdown(report, fixes, patches)
    ci = run_ci_profiles(config) if ci_profiles and not report.error else None
    if ci is not None:
        markdown += "\n" + ci_profiles_markdown(ci)
    create_markdown_artifact(
        key=artifact_key(config.name, "isolation"),
        markdown=markdown,
        description=f"isolation of {config.name}: score {report.isolation_score:.1f}",
    )
    logger.info("isolation report saved to %s (seed %d)", saved, report.seed)
    for entry in findings.new:
        logger.error("new order-dependent test since the last run: %s", entry.test)
    for entry in findings.fixed:
        logger.info("order-dependent since %s, fixed tonight: %s", entry.first_seen, entry.test)
    counts = f"{len(findings.new)} new, {len(findings.known)} known"
    if report.error:
        found = f" ({counts}: {', '.join(findings.new_tests[:5])})" if findings.new else ""
        raise IsolationNotPassed(
            report, f"isolation validation could not finish: {report.error}{found}"
        )
    payload = new_findings(findings, target=config.name, root=str(config.root), report=str(saved))
    if payload is not None:
        emit_event(
            NEW_FINDINGS, resource=resource(config.name), payload=payload.model_dump(mode="json")
        )
    if report.order_dependent:
        raise IsolationNotPassed(
            report,
            f"{len(report.order_dependent)} order-dependent test(s) ({counts}"
            f"{f', {len(findings.fixed)} fixed' if findings.fixed else ''}), "
            f"seed {report.seed}: {', '.join(report.order_dependent_tests[:5])}",
        )
    if ci is not None and ci.status is CheckStatus.FAILED:
        raise IsolationNotPassed(report, f"no order dependence, but CI profiles: {ci.details}")
    return report
