"""The pytest gate of a phase, as tasks: the whole selection, or one shard of it.

While pytest runs (in a worker thread), the task follows the runner's results file and
keeps a Prefect progress artifact up to date.

Every gate run carries the injected `remediation_monitor` plugin (standard library and
pytest only, so it works whatever the target's interpreter has installed) and the observers
of its phase's checks, which then judge this run instead of running the selection again. Its
per-test metrics are stored in TARGET/.remediation/metrics.sqlite as run `<engine run>-<phase>`.
The shards of a sharded gate all record into that one run, so the newest stored run is
always a whole phase, never one shard of it.
"""

from __future__ import annotations

import shlex
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from tasks.artifacts import ProgressArtifact, artifact_key
from testing_lib.checks.observed import Observer, observer_setup
from testing_lib.config.phases import PhaseName
from testing_lib.config.target import TargetConfig
from testing_lib.environment import test_environment_values
from testing_lib.performance.ingest import MONITOR_FILE_NAME, prepare_monitor, record_monitor_file
from testing_lib.performance.store import RunInfo, default_db, git_revision, new_perf_run_id
from testing_lib.results import TestSuiteResult
from testing_lib.runner import probe_interpreter, run_pytest
from testing_lib.runner.progress import GateProgress
from testing_lib.selection import Selection, resolve_selection
from testing_lib.storage import runs_root

PROGRESS_POLL_S = 1.0
SHARD_PLUGIN = "remediation_shard"


def _run(
    target: TargetConfig,
    phase: PhaseName,
    out_dir: Path,
    *,
    selection: Selection | None,
    progress_key: str,
    extra_args: list[str],
    extra_env: dict[str, str],
    observers: Sequence[Observer],
) -> TestSuiteResult:
    logger = get_run_logger()
    config = target.phase(phase)
    if selection is None:
        selection = resolve_selection(target, phase)
    for missing in selection.missing:
        logger.warning(
            "phase %s selects %s, which does not exist in %s", phase, missing, target.root
        )
    for folder in selection.unreadable:
        logger.warning(
            "phase %s: cannot read %s in %s, so the tests in it are not gated",
            phase,
            folder,
            target.root,
        )
    if not selection.runnable:
        logger.error(
            "phase %s: none of its paths exist (%s)", phase, ", ".join(selection.configured)
        )
        return TestSuiteResult(suite_name=phase, selection=list(selection.configured))
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_file = out_dir / MONITOR_FILE_NAME
    monitor_args, monitor_env = prepare_monitor(metrics_file)
    observer_args, observer_env = observer_setup(observers, out_dir)
    started = datetime.now(UTC)
    results_file = out_dir / "results.jsonl"
    progress = ProgressArtifact(key=progress_key, description=f"{phase}: tests finished (%)")
    tracker = GateProgress(phase=phase)
    cancel = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gate-{phase}") as pool:
        future = pool.submit(
            run_pytest,
            cwd=target.root,
            selection=list(selection.existing),
            python=target.python,
            suite_name=phase,
            markers=config.markers,
            extra_args=[*monitor_args, *observer_args, *extra_args, *config.pytest_args],
            timeout_s=config.timeout_s,
            test_timeout_s=config.test_timeout_s,
            env={
                **test_environment_values(target.testing),
                **extra_env,
                **monitor_env,
                **observer_env,
            },
            results_file=results_file,
            log_file=out_dir / "pytest.log",
            cancel=cancel,
            confine_to=target.root,
        )
        try:
            while not future.done():
                tracker.read(results_file)
                progress.update(100 * tracker.fraction)
                wait([future], timeout=PROGRESS_POLL_S)
        except BaseException:
            cancel.set()  # interrupted while waiting: stop pytest before the pool joins
            raise
        suite = future.result()
    progress.update(100.0)
    logger.info(
        "phase %s: %d passed, %d failed, %d errors, %d skipped, %d collection errors (exit %s)",
        phase,
        suite.passed_tests,
        suite.failed_tests,
        suite.error_tests,
        suite.skipped_tests,
        len(suite.collection_errors),
        suite.exit_code,
    )
    _record_metrics(target, phase, out_dir, metrics_file, suite, started)
    return suite


def _record_metrics(
    target: TargetConfig,
    phase: PhaseName,
    out_dir: Path,
    metrics_file: Path,
    suite: TestSuiteResult,
    started: datetime,
) -> None:
    """Store the monitor's rows as this gate's run of the target's metrics database."""
    logger = get_run_logger()
    run = RunInfo(
        run_id=perf_run_id(target, phase, out_dir),
        started_at=started,
        finished_at=datetime.now(UTC),
        git_revision=git_revision(target.root),
        python=probe_interpreter(target.python).python_version,
        pytest_args=shlex.join(suite.command[3:]),  # after `python -m pytest`
    )
    db = default_db(target.root)
    try:
        stored = record_monitor_file(metrics_file, db, run)
    except (sqlite3.Error, OSError) as exc:  # the gate's verdict stands without its metrics
        logger.warning("phase %s: could not store test metrics in %s: %s", phase, db, exc)
        return
    ran = suite.total_tests
    if stored < ran:
        logger.warning(
            "phase %s: the performance monitor measured %d of %d tests (see %s)",
            phase,
            stored,
            ran,
            metrics_file,
        )
    elif stored:
        logger.info(
            "phase %s: %d test metrics stored as run %s in %s", phase, stored, run.run_id, db
        )


def perf_run_id(target: TargetConfig, phase: PhaseName, out_dir: Path) -> str:
    """`<engine run>-<phase>` for a gate under TARGET/.remediation/runs/<engine run>/
    (the same for every shard of the phase's gate); elsewhere a new id ending in the phase."""
    try:
        relative = out_dir.resolve().relative_to(runs_root(target.root).resolve())
    except ValueError:
        return f"{new_perf_run_id()}-{phase}"
    return f"{relative.parts[0]}-{phase}" if relative.parts else f"{new_perf_run_id()}-{phase}"


@task(task_run_name="pytest-gate-{phase}", cache_policy=NO_CACHE)
def run_gate(
    target: TargetConfig,
    phase: PhaseName,
    out_dir: Path,
    selection: Selection | None = None,
    observers: Sequence[Observer] = (),
    env: Mapping[str, str] | None = None,
) -> TestSuiteResult:
    """The phase's whole selection (`selection`, when the caller resolved it already) in one
    pytest run, carrying `observers` (recording into `out_dir`) and adding `env`."""
    return _run(
        target,
        phase,
        out_dir,
        selection=selection,
        progress_key=artifact_key(target.name, phase, "progress"),
        extra_args=[],
        extra_env=dict(env or {}),
        observers=observers,
    )


@task(task_run_name="pytest-gate-{phase}-shard-{shard}-of-{shards}", cache_policy=NO_CACHE)
def run_gate_shard(
    target: TargetConfig,
    phase: PhaseName,
    out_dir: Path,
    shard: int,
    shards: int,
    durations_file: Path,
    selection: Selection | None = None,
    observers: Sequence[Observer] = (),
    env: Mapping[str, str] | None = None,
) -> TestSuiteResult:
    """Shard `shard` (0-based) of `shards`: every shard collects the selection and keeps its
    own duration-balanced share (the injected `remediation_shard` plugin)."""
    return _run(
        target,
        phase,
        out_dir,
        selection=selection,
        progress_key=artifact_key(target.name, phase, "progress", f"shard-{shard}"),
        extra_args=["-p", SHARD_PLUGIN],
        extra_env={
            **(env or {}),
            "REMEDIATION_SHARD": f"{shard}/{shards}",
            "REMEDIATION_SHARD_DURATIONS": str(durations_file),
        },
        observers=observers,
    )
