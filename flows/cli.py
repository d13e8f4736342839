"""`remediate`: run the remediation flows from a terminal, on Prefect's embedded API."""

from __future__ import annotations

import os
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows.defaults import EXAMPLE_TARGET
from flows.diagnose_cli import isolation, perf
from flows.fix_cli import fix_app
from flows.organize_cli import organize
from flows.prefect_env import configure_prefect_environment
from testing_lib.config.phases import PHASE_ORDER, PhaseName, parse_phase
from testing_lib.runner.progress import GateProgress, latest_results_file

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Carry a FastAPI/SQLAlchemy test suite through four gated remediation phases.",
)
out = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3

_STYLE = {"passed": "green", "failed": "red", "errored": "bold red", "not_run": "dim"}


def _error(message: str) -> None:
    err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


def _usage_error(message: str) -> typer.Exit:
    _error(message)
    return typer.Exit(EXIT_USAGE)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's logs.")] = False,
) -> None:
    configure_prefect_environment(quiet=not verbose)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP (a closed terminal) stop like Ctrl-C: cleanup runs, no orphans."""
    import signal

    from testing_lib.runner.process import request_shutdown

    def _interrupt(signum: int, frame: object) -> None:
        request_shutdown()  # pytest runs waited on in other threads stop too
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGHUP, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def _select_phases(phase: list[str], from_: str | None) -> list[PhaseName]:

    if phase and from_:
        raise _usage_error("use either --phase or --from, not both")
    try:
        if from_:
            start = PHASE_ORDER.index(parse_phase(from_))
            return list(PHASE_ORDER[start:])
        if phase:
            return [parse_phase(p) for p in phase]
    except ValueError as exc:
        raise _usage_error(str(exc)) from exc
    return list(PHASE_ORDER)


def _watch(run_dir: Path, stop: threading.Event, status: object) -> None:
    progress: dict[Path, GateProgress] = {}
    while not stop.wait(0.25):
        current = latest_results_file(run_dir)
        if current is None:
            continue
        tracker = progress.setdefault(current, GateProgress(phase=current.parent.name))
        tracker.read(current)
        status.update(tracker.line())  # type: ignore[attr-defined]


def _table(report: object) -> Table:
    from testing_lib.report import RemediationReport

    assert isinstance(report, RemediationReport)
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


def _reasons(report: object) -> list[str]:
    from testing_lib.report import RemediationReport

    assert isinstance(report, RemediationReport)
    lines = []
    for phase in report.phases:
        lines.append(f"{phase.name}: {phase.reason}")
        lines += [f"{phase.name}: warning: {warning}" for warning in phase.warnings]
    return lines


@app.command()
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
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show Prefect's logs and tracebacks.")
    ] = False,
) -> None:
    """Run the remediation phases on TARGET and gate each on its pytest results."""
    if verbose:
        configure_prefect_environment(quiet=False)
    from testing_lib.config.target import load_target_config
    from testing_lib.exceptions import TargetConfigError

    selected = _select_phases(phase or [], from_)
    try:
        config = load_target_config(target or EXAMPLE_TARGET, python=python)
    except TargetConfigError as exc:
        raise _usage_error(str(exc)) from exc
    if report is not None and report.is_dir():
        raise _usage_error(f"--report {report} is a directory: give a file path")

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.outcomes import remediation_report_of
    from flows.prefect_env import start_embedded_server
    from flows.remediation import full_remediation
    from flows.run_config import run_config
    from testing_lib.locking import TargetBusyError, target_lock
    from testing_lib.storage import new_run_id, run_dir

    run_id = new_run_id()
    _stop_on_signals()
    stop = threading.Event()
    with ExitStack() as held:
        try:  # before Prefect starts: a busy target costs nothing
            held.enter_context(target_lock(config.root, wait_s=0))
        except TargetBusyError as exc:
            _error(str(exc))
            raise typer.Exit(EXIT_BUSY) from None
        with out.status(f"starting {len(selected)} phase(s) on {config.root}") as status:
            start_embedded_server(Path(os.environ["PREFECT_HOME"]))
            watcher = threading.Thread(
                target=_watch, args=(run_dir(config.root, run_id), stop, status), daemon=True
            )
            watcher.start()
            try:
                with (
                    temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
                    run_config(config),
                ):
                    state = full_remediation(
                        target=str(config.root),
                        phases=selected,
                        python=config.python if python else None,
                        run_id=run_id,
                        reuse_passed=reuse_passed,
                        return_state=True,
                    )
            finally:
                stop.set()
                watcher.join()

    outcome = remediation_report_of(state.result(raise_on_failure=False))
    if outcome is None:
        _error(f"the remediation flow crashed: {state.message}")
        raise typer.Exit(EXIT_GATE)
    out.print(_table(outcome))
    for line in _reasons(outcome):
        out.print(Text(line), soft_wrap=True)
    saved = run_dir(config.root, run_id) / "report.json"
    out.print(Text(f"report: {saved}"), soft_wrap=True)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(outcome.model_dump_json(indent=2), encoding="utf-8")
    raise typer.Exit(EXIT_OK if outcome.passed else EXIT_GATE)


@app.command()
def server(
    host: Annotated[
        str, typer.Option(help="Interface to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for the API and the UI.")] = 4200,
    target: Annotated[
        Path | None, typer.Option(help="Default target of the deployments (default: the example).")
    ] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of the nightly schedule.")] = "UTC",
    nightly_cron: Annotated[
        str, typer.Option("--nightly-cron", help="Cron of nightly-isolation.")
    ] = "0 2 * * *",
) -> None:
    """Start Prefect's server and serve the three deployments; Ctrl-C stops both."""
    import os
    import zoneinfo

    from deployments.server import ServerStartError, prefect_server, serve_deployments

    if not _is_loopback(host) and not os.environ.get("PREFECT_SERVER_API_AUTH_STRING"):
        raise _usage_error(
            f"--host {host} exposes a server that has no users: set "
            "PREFECT_SERVER_API_AUTH_STRING (clients then need PREFECT_API_AUTH_STRING) or "
            "keep the default 127.0.0.1"
        )
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise _usage_error(
            f"unknown time zone {timezone!r}: use an IANA name such as Europe/Paris"
        ) from exc
    default_target = None
    if target is not None:
        from testing_lib.config.target import load_target_config
        from testing_lib.exceptions import TargetConfigError

        try:
            default_target = str(load_target_config(target).root)
        except TargetConfigError as exc:
            raise _usage_error(str(exc)) from exc
    home = Path(os.environ["PREFECT_HOME"])
    _stop_on_signals()
    try:
        with prefect_server(host, port, home) as api_url:
            ui = api_url.removesuffix("/api")
            out.print(Text(f"Prefect UI: {ui}  (state: {home}; Ctrl-C stops)"), soft_wrap=True)
            os.environ["PREFECT_API_URL"] = api_url  # for the served runs' subprocesses
            try:
                serve_deployments(
                    api_url, target=default_target, timezone=timezone, nightly_cron=nightly_cron
                )
            except KeyboardInterrupt:
                out.print("stopping")
    except ServerStartError as exc:
        raise _usage_error(str(exc)) from exc


app.command("organize")(organize)
app.add_typer(fix_app, name="fix")
app.command("isolation")(isolation)
app.command("perf")(perf)


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (0 passed, 1 gate failed, 2 bad usage)."""
    from testing_lib.runner.watchdog import engine_watchdog

    try:
        with engine_watchdog():  # what this command starts dies with it, even by SIGKILL
            app(args=argv)  # standalone: typer prints usage errors itself and exits 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
