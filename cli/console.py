"""The CLI's one console pair and its exit codes.

Exit codes, for every subcommand: 0 done (passed, nothing to do); 1 the verdict is
negative (a gate failed or errored, an apply rolled back, files left alone, order-dependent
tests found); 2 bad usage or configuration (one line naming the fix, nothing written);
3 the target is busy (another run holds it); 128 + N stopped by signal N (130 Ctrl-C,
143 SIGTERM): the run is saved as `stopped`, with every result so far.

A command whose write into a target failed prints one line (`write_failed`) and exits 1.
Tracebacks and the engine's own log records reach the terminal only with `remediate -v`
(`set_verbose`): without it a command prints its lines and nothing else.
"""

from __future__ import annotations

import logging
import traceback

import typer
from rich.console import Console
from rich.text import Text

from testing_lib.target_writes import WriteFailed

EXIT_OK, EXIT_NEGATIVE, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3

out = Console()
err = Console(stderr=True)


class _Options:
    verbose = False  # `remediate -v`: tracebacks and log records too


options = _Options()
_QUIET = logging.NullHandler()  # keeps logging's last-resort handler off the terminal
_ENGINE_LOGGERS = ("cli", "deployments", "flows", "tasks", "testing_lib")


def set_verbose(verbose: bool) -> None:
    """With `verbose`, tracebacks and the engine's warnings go to stderr; else neither."""
    options.verbose = verbose
    for name in _ENGINE_LOGGERS:
        engine_logger = logging.getLogger(name)
        if verbose:
            engine_logger.removeHandler(_QUIET)
        elif _QUIET not in engine_logger.handlers:
            engine_logger.addHandler(_QUIET)


def error(message: str) -> None:
    """One `error: ...` line on stderr."""
    err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


def warning(message: str) -> None:
    """One `warning: ...` line on stderr."""
    err.print(Text.assemble(("warning: ", "bold yellow"), message), soft_wrap=True)


def usage_error(message: str) -> typer.Exit:
    """Print `message` as an error and return the exit (code 2) to raise."""
    error(message)
    return typer.Exit(EXIT_USAGE)


def write_failed(exc: WriteFailed) -> typer.Exit:
    """Print a failed write's one line (and, with -v, its traceback); return the exit (1)."""
    if options.verbose:
        err.print(Text("".join(traceback.format_exception(exc))), soft_wrap=True)
    error(exc.line)
    return typer.Exit(EXIT_NEGATIVE)
