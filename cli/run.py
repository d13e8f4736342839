"""`remediate run`: the phases on a target, gated on their pytest results."""

from __future__ import annotations

import contextvars
import os
import shlex
import sys
import threading
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cli.console import EXIT_BUSY, EXIT_NEGATIVE, EXIT_OK, error, out, usage_error
from flows.defaults import EXAMPLE_TARGET
from flows.prefect_env import configure_prefect_environment
from testing_lib.config.phases import PHASE_ORDER, PhaseName, parse_phase

if TYPE_CHECKING:
    from prefect import State

    from cli.signals import Stop
    from flows.local_api import LocalApi
    from testing_lib.config.target import TargetConfig
    from testing_lib.report import RemediationReport

CURES_MODES = ("off", "propose", "ask")
TRIAGE_LINES = 4  # failure groups printed under each phase; all are in the JSON report
_STYLE = {
    "passed": "green",
    "failed": "red",
    "errored": "bold red",
    "stopped": "yellow",
    "not_run": "dim",
}


def _select_phases(phase: list[str], from_: str | None) -> list[PhaseName]:

    if phase and from_:
        raise usage_error("use either --phase or --from, not both")
    try:
        if from_:
            start = PHASE_ORDER.index(parse_phase(from_))
            return list(PHASE_ORDER[start:])
        if phase:
            return [parse_phase(p) for p in phase]
    except ValueError as exc:
        raise usage_error(str(exc)) from exc
    return list(PHASE_ORDER)


def _watch(run_dir: Path, stop: threading.Event, status: object) -> None:
    from testing_lib.runner.progress import GateProgress, latest_results_file

    progress: dict[Path, GateProgress] = {}
    while not stop.wait(0.25):
        current = latest_results_file(run_dir)
        if current is None:
            continue
        tracker = progress.setdefault(current, GateProgress(phase=current.parent.name))
        tracker.read(current)
        status.update(tracker.line())  # type: ignore[attr-defined]


def _table(report: RemediationReport) -> Table:
    table = Table(title=f"remediation of {report.target}", title_justify="left")
    for column in ("phase", "status", "passed", "failed", "skipped", "errors", "duration"):
        left = column in ("phase", "status")
        table.add_column(column, justify="left" if left else "right", no_wrap=True)
    for phase in report.phases:
        suite = phase.suite
        counts = (
            [
                suite.passed_tests,
                suite.failed_tests,
                suite.skipped_tests,
                suite.error_tests + len(suite.collection_errors),
            ]
            if suite
            else ["-"] * 4
        )
        duration = f"{phase.duration_s:.1f}s" if phase.duration_s is not None else "-"
        style = _STYLE.get(phase.status.value, "")
        table.add_row(
            phase.name,
            Text(phase.status.value, style=style),
            *(str(c) for c in counts),
            duration,
        )
    return table


def _reasons(report: RemediationReport) -> list[str]:
    from testing_lib.triage import Triage, render_lines

    lines = []
    for phase in report.phases:
        lines.append(f"{phase.name}: {phase.reason}")
        lines += [
            f"  {line}" for line in render_lines(Triage(groups=phase.triage), limit=TRIAGE_LINES)
        ]
        lines += [f"{phase.name}: warning: {warning}" for warning in phase.warnings]
    return lines


def run(
    target: Annotated[
        Path | None,
        typer.Argument(help="The project to remediate (default: the bundled example backend)."),
    ] = None,
    phase: Annotated[
        list[str] | None,
        typer.Option(
            "--phase", help="Run only this phase (repeatable), e.g. to rerun a failed one."
        ),
    ] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Run from this phase on.")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the run's JSON report here.")
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="Interpreter for the target's tests (default: its config, else this one).",
        ),
    ] = None,
    reuse_passed: Annotated[
        bool,
        typer.Option(
            "--reuse-passed",
            help="Skip phases that passed before on the same target content and configuration.",
        ),
    ] = False,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also run the deep checks: isolation in several orders and real CI profile "
            "runs (what the nightly flow runs); slower.",
        ),
    ] = False,
    cures: Annotated[
        str,
        typer.Option(
            "--cures",
            help="After a phase fails: 'propose' proves a cure per failure group on a scratch "
            "copy and saves the proven ones; 'ask' shows them and asks which to apply, then "
            "runs the phase again (without a terminal, as 'propose'); 'off' (default).",
        ),
    ] = "off",
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show Prefect's logs and tracebacks.")
    ] = False,
) -> None:
    """Run the remediation phases on TARGET and gate each on its pytest results."""
    if verbose:
        configure_prefect_environment(quiet=False)
    if cures not in CURES_MODES:
        raise usage_error(f"--cures {cures!r}: choose from {', '.join(CURES_MODES)}")
    if cures == "ask" and not sys.stdin.isatty():
        error("no terminal to ask in: --cures ask proposes the cures, as --cures propose")
        cures = "propose"
    from testing_lib.config.target import load_target_config
    from testing_lib.exceptions import TargetConfigError
    from testing_lib.locking import TargetBusyError, target_lock

    selected = _select_phases(phase or [], from_)
    try:
        config = load_target_config(target or EXAMPLE_TARGET, python=python)
    except TargetConfigError as exc:
        raise usage_error(str(exc)) from exc
    if report is not None and report.is_dir():
        raise usage_error(f"--report {report} is a directory: give a file path")
    _require_runnable(config.python)

    with ExitStack() as held:
        try:  # before anything starts: a busy target costs nothing
            held.enter_context(target_lock(config.root, wait_s=0))
        except TargetBusyError as exc:
            error(str(exc))
            raise typer.Exit(EXIT_BUSY) from None
        api = _prefect_api(held)

        from cli.signals import stop_on_signals
        from flows.outcomes import remediation_report_of
        from flows.remediation import ordered_phases
        from testing_lib.stopped_run import stopped_report
        from testing_lib.storage import new_run_id

        run_id = new_run_id()
        started_at = datetime.now(UTC)
        saved = threading.Event()

        def save_stopped(stopped_by: Stop) -> RemediationReport:
            outcome = stopped_report(
                config.root,
                run_id,
                ordered_phases(selected),
                started_at=started_at,
                why=stopped_by.name,
            )
            _save(config.root, outcome, report)
            saved.set()
            return outcome

        def on_deadline(stopped_by: Stop) -> None:  # the flow did not end in time: save and go
            if not saved.is_set():
                outcome = save_stopped(stopped_by)
                error(f"stopped by {stopped_by.name}; report: {_saved_path(config.root, outcome)}")

        signals = stop_on_signals(on_deadline)
        try:
            state = _run_flow(config, selected, python, run_id, reuse_passed, deep, api, cures)
        except KeyboardInterrupt:
            _print_outcome(save_stopped(signals), config.root)
            out.file.flush()
            signals.final(None)  # saved and said: exit now, not after Prefect's exit handlers
        outcome = remediation_report_of(state.result(raise_on_failure=False))
        if outcome is None:
            error(f"the remediation flow crashed: {state.message}")
            raise typer.Exit(EXIT_NEGATIVE)
        _print_outcome(outcome, config.root, cures)
        if report is not None:
            _write_report(outcome, report)
        raise typer.Exit(EXIT_OK if outcome.passed else EXIT_NEGATIVE)


def _require_runnable(python: str) -> None:
    """Exit 2 before anything runs when the target's interpreter cannot run its tests."""
    from testing_lib.exceptions import RunnerError
    from testing_lib.runner.probe import require_pytest

    try:
        require_pytest(python)
    except RunnerError as exc:
        raise usage_error(str(exc)) from exc


def _api_given() -> bool:
    """PREFECT_API_URL is set: in the environment or, once Prefect is imported (as when a
    test harness or a served flow calls the CLI in-process), in Prefect's settings."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "prefect.settings" not in sys.modules:
        return False
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _prefect_api(held: ExitStack) -> str | LocalApi | None:
    """The API this run uses, chosen before Prefect is imported: None when PREFECT_API_URL
    names one; the URL of a `remediate server` on this Prefect home that answers; else
    Prefect's API server for this run, started now (it boots while Prefect is imported)."""
    from flows.local_api import local_api
    from flows.prefect_env import running_server

    if _api_given():
        return None
    home = Path(os.environ["PREFECT_HOME"])
    return running_server(home) or held.enter_context(local_api(home))


def _run_flow(
    config: TargetConfig,
    selected: list[PhaseName],
    python: str | None,
    run_id: str,
    reuse_passed: bool,
    deep: bool,
    api: str | LocalApi | None,
    cures: str = "off",
) -> State[Any]:
    """The full flow on the API `_prefect_api` chose, with progress; with `cures="ask"`, a
    thread answers its pause for approval from the terminal."""
    from prefect import tags
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    from cli.approve_prompt import answer_pauses, run_tag
    from flows.local_api import LocalApi, LocalApiError
    from flows.prefect_env import drain_prefect_workers
    from flows.remediation import full_remediation
    from flows.run_config import run_config
    from testing_lib.storage import run_dir

    stop = threading.Event()
    with ExitStack() as held:
        with out.status(f"starting {len(selected)} phase(s) on {config.root}") as status:
            api_url = PREFECT_API_URL.value() or api
            if isinstance(api_url, LocalApi):
                try:
                    api_url = api_url.wait_ready(
                        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
                    )
                except LocalApiError as exc:
                    error(str(exc))
                    raise typer.Exit(EXIT_NEGATIVE) from None
            held.enter_context(
                temporary_settings(
                    updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_API_URL: api_url}
                )
            )
            watcher = threading.Thread(
                target=_watch, args=(run_dir(config.root, run_id), stop, status), daemon=True
            )
            watcher.start()
            tag = run_tag(run_id)
            if cures == "ask":  # with this thread's Prefect settings
                answer = contextvars.copy_context().run
                threading.Thread(
                    target=answer,
                    args=(answer_pauses, config.root, tag, stop, status),
                    daemon=True,  # may be left waiting for a keystroke at exit
                ).start()
            try:
                with run_config(config), tags(tag):
                    return full_remediation(
                        target=str(config.root),
                        phases=selected,
                        python=config.python if python else None,
                        run_id=run_id,
                        reuse_passed=reuse_passed,
                        deep=deep,
                        cures=cures,
                        return_state=True,
                    )
            finally:
                stop.set()
                watcher.join()
                drain_prefect_workers()  # before the API this run started stops


def _saved_path(root: Path, outcome: RemediationReport) -> Path:
    from testing_lib.storage import run_dir

    return run_dir(root, outcome.run_id) / "report.json"


def _save(root: Path, outcome: RemediationReport, report: Path | None) -> None:
    from testing_lib.storage import save_report

    save_report(root, outcome)
    if report is not None:
        _write_report(outcome, report)


def _write_report(outcome: RemediationReport, report: Path) -> None:
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(outcome.model_dump_json(indent=2), encoding="utf-8")


def _cure_lines(report: RemediationReport, root: Path) -> list[str]:
    """One line per failure group that has a cure to try, with the command that proves it."""
    from testing_lib.cures.kinds import has_cure_to_try

    lines = _order_dependent_lines(report, root)
    seen: set[tuple[str, str | None]] = set()
    for phase in report.phases:
        for group in phase.triage:
            if not has_cure_to_try(group.kind, group.key) or (group.kind, group.key) in seen:
                continue
            seen.add((group.kind, group.key))
            label = f"{group.title} ({group.key})" if group.key else group.title
            command = shlex.join(["remediate", "fix", str(root), "--phase", phase.name])
            lines.append(f"cure to try: {group.count} × {label}: {command}")
    return lines


def _order_dependent_lines(report: RemediationReport, root: Path) -> list[str]:
    """A line per phase where tests the latest isolation report confirms fail after another
    test failed after it: their cure is proven by `remediate fix` too."""
    from testing_lib.cures.groups import after_their_polluter
    from testing_lib.isolation.history import known_victims, latest_report
    from testing_lib.results import TestStatus

    victims = known_victims(latest_report(root))
    lines = []
    for phase in report.phases:
        if phase.suite is None or not victims:
            continue
        exposed = after_their_polluter(phase.suite, victims)
        failed = [
            result.test_name
            for result in phase.suite.results
            if result.status in (TestStatus.FAILED, TestStatus.ERROR)
            and result.test_name in exposed
        ]
        if failed:
            command = shlex.join(["remediate", "fix", str(root), "--phase", phase.name])
            lines.append(
                f"cure to try: {len(failed)} × passes alone, fails after another test "
                f"(the latest isolation report): {command}"
            )
    return lines


def _print_outcome(outcome: RemediationReport, root: Path, cures: str = "off") -> None:
    out.print(_table(outcome))
    # with --cures, the phase's reason already names the cures proven (and how to apply them)
    cure_lines = _cure_lines(outcome, root) if cures == "off" else []
    for line in [*_reasons(outcome), *cure_lines]:
        out.print(Text(line), soft_wrap=True)
    out.print(Text(f"report: {_saved_path(root, outcome)}"), soft_wrap=True)
