"""`run_pytest`: run a pytest selection of any target project and read its per-test events."""

from __future__ import annotations

import logging
import os
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from testing_lib.exceptions import RunnerError
from testing_lib.results import TestSuiteResult
from testing_lib.runner.events import read_events
from testing_lib.runner.limits import current_limits
from testing_lib.runner.probe import require_pytest
from testing_lib.runner.process import run_in_process_group

logger = logging.getLogger(__name__)

INJECT_DIR = Path(__file__).resolve().parent / "target_plugins"
COLLECTOR_PLUGIN = "remediation_collector"
TIMEOUT_PLUGIN = "remediation_timeout"
TEST_TIMEOUT_ENV = "REMEDIATION_TEST_TIMEOUT_S"
RESULTS_FILE_ENV = "REMEDIATION_RESULTS_FILE"
TARGET_ROOT_ENV = "REMEDIATION_TARGET_ROOT"
LOG_TAIL_CHARS = 4000

# Describe the engine's own pytest process; a target run must not inherit them.
_OWN_PYTEST_ENV = (
    "PYTEST_CURRENT_TEST",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
)


def run_pytest(
    *,
    cwd: Path,
    selection: Sequence[str],
    python: str = sys.executable,
    suite_name: str = "pytest",
    markers: str | None = None,
    extra_args: Sequence[str] = (),
    timeout_s: float = 600,
    test_timeout_s: float | None = None,
    env: Mapping[str, str] | None = None,
    results_file: Path | None = None,
    log_file: Path | None = None,
    cancel: threading.Event | None = None,
    confine_to: Path | None = None,
) -> TestSuiteResult:
    """Run `python -m pytest <selection>` in `cwd` and return what each test did.

    Results come from the injected `remediation_collector` plugin's JSON-lines file
    (`results_file`, which a caller may poll for progress), never from terminal output;
    the combined output goes to `log_file` and its tail into `stderr_tail`. After
    `timeout_s` the whole process family is stopped: the suite then has `timed_out`, the
    results written so far, and `running_test`. `test_timeout_s` is a per-test limit
    (default: the enclosing `run_limits` block's): pytest-timeout's where the target has
    it, else the injected `remediation_timeout` plugin's. `exit_code` is pytest's exit
    status (negative: killed by that signal).
    Collection errors never stop the run (`--continue-on-collection-errors`): every test
    that collects runs, and each error is reported. The run gets a private temporary
    folder (TMPDIR, TEMP, TMP, and so `tmp_path`'s base), removed afterwards, so runs
    that overlap never share a scratch path.
    Setting `cancel` from another thread stops the run (RunCancelled). With `confine_to`,
    a collected test whose file lies outside that folder (symlinks resolved) is not run
    and counts as a collection error.

    Raises RunnerError when the run cannot start: a missing interpreter or working
    directory, no pytest in the target.
    """
    if test_timeout_s is None:
        test_timeout_s = current_limits().test_timeout_s
    if isinstance(selection, str):
        raise TypeError("selection must be a sequence of pytest arguments, not one string")
    if timeout_s <= 0 or (test_timeout_s is not None and test_timeout_s <= 0):
        raise ValueError("timeout_s and test_timeout_s must be positive")
    cwd = Path(cwd)
    if not cwd.is_dir():
        raise RunnerError(f"Cannot run pytest in {cwd}: it is not a directory")
    python = os.fspath(python)
    info = require_pytest(python)
    own_timeout = test_timeout_s is not None and not info.has_pytest_timeout

    with tempfile.TemporaryDirectory(prefix="remediation-run-") as scratch:
        results_path = Path(results_file) if results_file else Path(scratch, "results.jsonl")
        log_path = Path(log_file) if log_file else Path(scratch, "pytest.log")
        for path in (results_path, log_path):
            path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_bytes(b"")  # never read a previous run's events

        child_env = build_env(env, results_path, Path(scratch, "tmp"))
        if own_timeout and test_timeout_s is not None:
            child_env[TEST_TIMEOUT_ENV] = f"{test_timeout_s:g}"
        if confine_to is not None:
            child_env[TARGET_ROOT_ENV] = str(Path(confine_to).resolve())
        command = build_command(
            python,
            selection,
            markers=markers,
            extra_args=extra_args,
            test_timeout_s=test_timeout_s,
            autoload_disabled=bool(child_env.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")),
            own_timeout=own_timeout,
        )
        logger.info("Running %s in %s (log: %s)", shlex.join(command), cwd, log_path)
        with log_path.open("wb") as log:
            try:
                started = time.monotonic()
                outcome = run_in_process_group(
                    command,
                    cwd=cwd,
                    env=child_env,
                    output=log,
                    timeout_s=timeout_s,
                    cancel=cancel,
                )
                wall_time_s = time.monotonic() - started
            except OSError as exc:
                raise RunnerError(f"Could not start {shlex.join(command)} in {cwd}: {exc}") from exc
        events = read_events(results_path)
        tail = read_tail(log_path, LOG_TAIL_CHARS)

    if events.exitstatus is None and not outcome.timed_out:
        logger.warning(
            "pytest (pid %d) ended with exit code %d before finishing its session%s; see %s",
            outcome.pid,
            outcome.returncode,
            f" while running {events.running_test}" if events.running_test else "",
            log_path if log_file else "stderr_tail",
        )
    suite = TestSuiteResult.from_results(
        suite_name,
        events.results,
        selection=list(selection),
        collected=events.collected,
        collection_errors=events.collection_errors,
        skipped_modules=events.skipped_modules,
        exit_code=outcome.returncode,
        timed_out=outcome.timed_out,
        wall_time_s=wall_time_s,
        running_test=events.running_test,
        session_finished=events.exitstatus is not None,
        stderr_tail=tail,
        command=command,
    )
    logger.info(
        "%s: exit %d, %d collected, %d passed, %d failed, %d errors, %d skipped%s",
        suite_name,
        outcome.returncode,
        suite.collected or 0,
        suite.passed_tests,
        suite.failed_tests,
        suite.error_tests,
        suite.skipped_tests,
        f", timed out in {suite.running_test}" if suite.timed_out else "",
    )
    return suite


def build_command(
    python: str,
    selection: Sequence[str],
    *,
    markers: str | None = None,
    extra_args: Sequence[str] = (),
    test_timeout_s: float | None = None,
    autoload_disabled: bool = False,
    own_timeout: bool = False,
) -> list[str]:
    """The pytest command line `run_pytest` runs.

    With `own_timeout` the per-test limit is the injected plugin's (it reads the limit
    from the environment), not pytest-timeout's `--timeout`."""
    command = [python, "-m", "pytest", "-p", COLLECTOR_PLUGIN, "-p", "no:cacheprovider", "-q"]
    command.append("--continue-on-collection-errors")
    if markers:
        command += ["-m", markers]
    command += timeout_args(
        test_timeout_s, own_timeout=own_timeout, autoload_disabled=autoload_disabled
    )
    command += [*extra_args, "--", *selection]
    return command


def timeout_args(
    test_timeout_s: float | None, *, own_timeout: bool, autoload_disabled: bool
) -> list[str]:
    """pytest arguments for a per-test limit (the injected plugin reads it from the env)."""
    if test_timeout_s is None:
        return []
    if own_timeout:
        return ["-p", TIMEOUT_PLUGIN]
    # pytest-timeout loads through its entry point; -p again would clash
    load = ["-p", "pytest_timeout"] if autoload_disabled else []
    return [*load, f"--timeout={test_timeout_s:g}"]


def build_env(
    env: Mapping[str, str] | None, results_file: Path, private_tmp: Path | None = None
) -> dict[str, str]:
    """os.environ, then `env`, then what the collector plugin needs.

    With `private_tmp` (created here) the run's temporary folder is that one, unless `env`
    names one itself."""
    merged = {k: v for k, v in os.environ.items() if k not in _OWN_PYTEST_ENV}
    if private_tmp is not None:
        private_tmp.mkdir(parents=True, exist_ok=True)
        merged.update(dict.fromkeys(("TMPDIR", "TEMP", "TMP"), str(private_tmp)))
    merged.update(env or {})
    existing = merged.get("PYTHONPATH")
    merged["PYTHONPATH"] = os.pathsep.join([str(INJECT_DIR), *([existing] if existing else [])])
    merged[RESULTS_FILE_ENV] = str(results_file)
    merged["PYTHONUNBUFFERED"] = "1"
    merged["PY_COLORS"] = "0"
    return merged


def read_tail(path: Path, chars: int) -> str:
    """The last `chars` characters of a text file written by another process."""
    try:
        with path.open("rb") as stream:
            size = stream.seek(0, os.SEEK_END)
            stream.seek(max(0, size - chars * 4))  # UTF-8: at most 4 bytes a character
            data = stream.read()
    except FileNotFoundError:
        return ""
    return data.decode("utf-8", errors="replace")[-chars:]
