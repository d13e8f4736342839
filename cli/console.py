"""The CLI's one console pair and its exit codes.

Exit codes, for every subcommand: 0 done (passed, nothing to do); 1 the verdict is
negative (a gate failed or errored, an apply rolled back, files left alone, order-dependent
tests found); 2 bad usage or configuration (one line naming the fix, nothing written);
3 the target is busy (another run holds it); 128 + N stopped by signal N (130 Ctrl-C,
143 SIGTERM): the run is saved as `stopped`, with every result so far.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.text import Text

EXIT_OK, EXIT_NEGATIVE, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3

out = Console()
err = Console(stderr=True)


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
