"""`remediate isolation` and `remediate perf`: diagnostics for any pytest suite.

Both work on a project with or without `[tool.remediation]`: without it, the suite runs
with `--python` (default: this interpreter) in the target directory, as a bare `pytest`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.text import Text

from cli.console import EXIT_BUSY, err, error, out, usage_error, write_failed
from testing_lib.target_writes import WriteCommand

if TYPE_CHECKING:
    from testing_lib.config.testing import TestPerformanceConfig
    from testing_lib.isolation import IsolationReport


def _default_performance() -> TestPerformanceConfig:
    from testing_lib.config.testing import TestPerformanceConfig

    return TestPerformanceConfig()


@dataclass(frozen=True)
class Suite:
    root: Path
    name: str
    python: str
    env: dict[str, str] = field(default_factory=dict)
    performance: TestPerformanceConfig = field(default_factory=_default_performance)


def _fail(message: str) -> typer.Exit:
    return usage_error(message)


def _require_folder(target: Path) -> None:
    if not os.path.isdir(target):
        nothing = "" if os.path.lexists(target) else " (nothing is there)"
        raise _fail(f"target {str(target)!r} is not a directory{nothing}: pass a pytest project")


def resolve_suite(target: Path, python: str | None) -> Suite:
    """The target as a configured remediation target, or as a plain pytest project."""
    from testing_lib.config.pyproject import has_remediation_table
    from testing_lib.config.target import load_target_config, resolve_interpreter
    from testing_lib.environment import test_environment_values
    from testing_lib.exceptions import TargetConfigError

    _require_folder(target)
    try:
        if has_remediation_table(target) or (target / "tests").is_dir():
            config = load_target_config(target, python=python)
            return Suite(
                root=config.root,
                name=config.name,
                python=config.python,
                env=test_environment_values(config.testing),
                performance=config.testing.performance,
            )
        interpreter = resolve_interpreter(python, Path.cwd()) if python else sys.executable
    except TargetConfigError as exc:
        raise _fail(str(exc)) from exc
    except OSError as exc:  # e.g. the target folder itself cannot be searched
        raise _fail(
            f"cannot read target {str(target)!r} ({exc.strerror or exc}): give this user "
            "access to it, or pass another pytest project"
        ) from exc
    root = target.resolve()
    return Suite(root=root, name=root.name, python=interpreter)


@contextmanager
def _lock_or_exit_busy(root: Path) -> Iterator[None]:
    """The target's lock, or exit 3 at once with one line naming its holder."""
    from testing_lib.locking import TargetBusyError, target_lock

    with ExitStack() as held:
        try:
            held.enter_context(target_lock(root, wait_s=0))
        except TargetBusyError as exc:
            error(str(exc))
            raise typer.Exit(EXIT_BUSY) from None
        except OSError as exc:  # the lock file cannot be written (a full disk, permissions)
            failed = WriteCommand(f"taking the lock of {root}", root, finish="")
            raise write_failed(failed.failed(exc, lambda: None)) from exc
        yield


def isolation(
    target: Annotated[Path, typer.Argument(help="A pytest project (any layout).")],
    orders: Annotated[int, typer.Option(min=2, help="Orders to run, the original included.")] = 4,
    seed: Annotated[int | None, typer.Option(help="Shuffle seed (printed for replay).")] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the report as JSON here.")
    ] = None,
    python: Annotated[
        str | None, typer.Option(help="Interpreter for the suite (default: config, else this).")
    ] = None,
    victim: Annotated[
        list[str] | None,
        typer.Option(
            "--victim",
            help="A test known to fail in some order (repeatable): skip detection, locate "
            "its polluter.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, help="Forked runs at a time (default: the CPUs)."),
    ] = None,
    time_budget: Annotated[
        float,
        typer.Option(
            "--time-budget",
            min=1,
            help="Seconds the validation may take; when spent it stops and reports the "
            "pairs confirmed so far.",
        ),
    ] = 900,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Propose a fix for each confirmed pair and import-time side effect, proven "
            "on a scratch copy (a diff).",
        ),
    ] = False,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply", help="With --fix: write the proven fixes (undo: remediate fix undo)."
        ),
    ] = False,
) -> None:
    """Run the suite in several orders for real; find and explain order-dependent tests."""
    from cli.progress_lines import showing_progress
    from testing_lib.isolation.preflight import find_tests
    from testing_lib.isolation.validation_progress import IsolationProgress

    if apply and not fix:
        raise _fail("--apply writes the fixes --fix proposes: pass --fix --apply")
    _require_folder(target)
    # before the lock, and before any progress shows: bad input is one line, nothing written
    found = find_tests(target.resolve())
    if found.problem is not None:
        raise _fail(
            f"{found.problem}: point remediate isolation at a project with tests, "
            + ("make those folders readable, " if found.unreadable else "")
            + "or set python_files in its pytest configuration if its test modules are "
            "named otherwise"
        )
    if found.warning is not None:
        err.print(Text.assemble(("warning: ", "bold yellow"), found.warning), soft_wrap=True)
    progress = IsolationProgress()
    progress.stage("reading the target's configuration")
    with ExitStack() as shown:
        if not apply:  # a reviewed dry run is applied at once; a validation shows it started
            status = shown.enter_context(err.status(""))
            shown.enter_context(showing_progress(progress, status))
        from rich.markdown import Markdown

        from cli.signals import final_stop
        from testing_lib.isolation.validator import TestIsolationValidator

        suite = resolve_suite(target, python)
        if apply:
            from cli.unfinished_organize import refuse_over_unfinished_organize

            refuse_over_unfinished_organize(suite.root)
    from testing_lib.isolation.history import history_dir
    from testing_lib.isolation.order_rendering import isolation_markdown

    journal = history_dir(suite.root) / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-confirmed.jsonl"
    options = {
        "orders": orders,
        "seed": seed,
        "victims": sorted(victim or ()),
        "python": suite.python,  # the test environment follows the target's configuration
    }
    if apply:
        _apply_reviewed(suite.root, suite.name, options, json_path)  # exits when it applied

    def stopped(_: object = None) -> None:
        kept = f"; the pairs confirmed so far are in {journal}" if journal.exists() else ""
        err.print(Text(f"stopped{kept}"), soft_wrap=True)

    progress = IsolationProgress()  # the validation's own, from its first stage
    try:
        # a stop is final: if unwinding waits on a pytest run, the deadline exits anyway
        with (
            final_stop(stopped),
            _lock_or_exit_busy(suite.root),
            out.status(f"running {suite.name} in {orders} orders") as status,
            showing_progress(progress, status),
        ):
            validator = TestIsolationValidator(
                suite.root,
                python=suite.python,
                orders=orders,
                seed=seed,
                env=suite.env,
                jobs=jobs,
                victims=victim or (),
                timeout_s=time_budget,
                findings_file=journal,
                progress=progress,
            )
            report = validator.validate_isolation()
            fixes = None
            if fix and (report.pairs or report.import_side_effects):
                from testing_lib.isolation.fix_plan import fixes_for  # libcst: --fix only

                fixes = fixes_for(validator, report)
    except KeyboardInterrupt:
        stopped()
        raise typer.Exit(130) from None
    _keep_latest(report)
    out.print(Markdown(isolation_markdown(report, suite.name, tables=False)))
    if fix:
        from cli.isolation_fix import show_fixes
        from testing_lib.isolation.fix_review import save_reviewed

        with _lock_or_exit_busy(suite.root):
            if fixes is None:
                out.print(Text("no confirmed pair to fix"), soft_wrap=True)
            else:
                if not apply:  # what the user reviews is what `--apply` will write
                    save_reviewed(suite.root, options, report, *fixes)
                show_fixes(*fixes, apply=apply)
    _finish(report, json_path)


def _keep_latest(report: IsolationReport) -> None:
    """Keep the report of a validation that ran: `remediate fix` reads it to group the
    tests that fail after another test (a failed write only loses that)."""
    from testing_lib.isolation.history import save_latest

    try:
        save_latest(Path(report.root), report)
    except OSError as exc:
        err.print(Text(f"warning: the report could not be kept for `remediate fix`: {exc}"))


def _finish(report: IsolationReport, json_path: Path | None) -> NoReturn:
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    raise typer.Exit(1 if report.order_dependent or report.error else 0)


def _apply_reviewed(root: Path, name: str, options: dict[str, Any], json_path: Path | None) -> None:
    """Apply what the last dry run showed, when it ran with these options on the target as
    it is now (then exit); else return, to validate and prove afresh."""
    from rich.markdown import Markdown

    from cli.isolation_fix import show_fixes
    from testing_lib.isolation.fix_review import load_reviewed
    from testing_lib.isolation.order_rendering import isolation_markdown

    with _lock_or_exit_busy(root):
        reviewed = load_reviewed(root, options)
        if reviewed is None:
            return
        out.print(Markdown(isolation_markdown(reviewed.report, name, tables=False)))
        out.print(
            Text(
                f"applying the fixes of the dry run of {reviewed.saved_at:%Y-%m-%d %H:%M} UTC "
                "(the target has not changed since)"
            ),
            soft_wrap=True,
        )
        show_fixes(reviewed.fixes, reviewed.plan(root), apply=True)
    _finish(reviewed.report, json_path)


def perf(
    target: Annotated[Path, typer.Argument(help="A project whose runs were monitored.")],
    since: Annotated[
        str | None, typer.Option(help="Compare with this stored run (default: the previous).")
    ] = None,
) -> None:
    """Thresholds, slow tests and slow-downs from TARGET/.remediation/metrics.sqlite."""
    from rich.table import Table

    from testing_lib.performance.perf_report import performance_report

    suite = resolve_suite(target, None)
    try:
        report = performance_report(suite.root, since=since, config=suite.performance)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if report.run is None or report.analysis is None:
        out.print(
            Text(
                f"no monitored runs in {report.database}: every engine gate records one "
                "(`remediate run`), or run the suite with `pytest --remediation-perf` "
                "where the target's interpreter has this project"
            ),
            soft_wrap=True,
        )
        raise typer.Exit(0)
    analysis = report.analysis
    out.print(
        Text(
            f"run {report.run.run_id}: {analysis.total_tests} tests, "
            f"{analysis.total_execution_time_ms / 1000:.2f}s, "
            f"avg {analysis.average_execution_time_ms:.1f} ms "
            f"(git {report.run.git_revision or '-'}, Python {report.run.python})"
        ),
        soft_wrap=True,
    )
    if analysis.findings:
        table = Table(title="over threshold", title_justify="left")
        for column in ("test", "metric", "value", "threshold"):
            table.add_column(column, overflow="fold")
        for finding in analysis.findings:
            table.add_row(
                finding.test, str(finding.metric), f"{finding.value:g}", f"{finding.threshold:g}"
            )
        out.print(table)
    for trend in report.trends:
        out.print(Text(trend.message), soft_wrap=True)
    for line in analysis.recommendations:
        out.print(Text(f"- {line}"), soft_wrap=True)
    raise typer.Exit(0)
