"""`remediate`: run the remediation flows from a terminal, on Prefect's embedded API.

The subcommand modules import only light modules at module level (typer; rich's console,
text and tables; the library's exceptions and phase names); what a command runs with
(libcst, Prefect, the library's models) it imports in its body. So `remediate --help`, and
every command, load only what that command needs (tests/test_cli_startup.py).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.console import EXIT_OK, EXIT_USAGE, set_verbose
from cli.diagnose import isolation, perf
from cli.fix import fix_app
from cli.organize import organize
from cli.run import run
from cli.server import server
from flows.prefect_env import configure_prefect_environment

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Carry a FastAPI/SQLAlchemy test suite through four gated remediation phases.",
)


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show Prefect's logs and tracebacks.")
    ] = False,
) -> None:
    set_verbose(verbose)
    configure_prefect_environment(quiet=not verbose)


app.command("run")(run)
app.command("server")(server)
app.command("organize")(organize)
app.add_typer(fix_app, name="fix")
app.command("isolation")(isolation)
app.command("perf")(perf)


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (see `cli.console`)."""
    from testing_lib.runner.watchdog import engine_watchdog

    try:
        with engine_watchdog():  # what this command starts dies with it, even by SIGKILL
            app(args=argv)  # standalone: typer prints usage errors itself and exits 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
