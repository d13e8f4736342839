"""Run a pytest selection of any target project and collect structured per-test results.

The names below are imported on first use (see `testing_lib.lazy_exports`): the engine's
watchdog and the CLI import this package's small modules without loading the runner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from testing_lib.runner.probe import InterpreterInfo, probe_interpreter
    from testing_lib.runner.runner import run_pytest

__getattr__ = lazy_getattr(
    __name__,
    {
        "InterpreterInfo": "probe",
        "probe_interpreter": "probe",
        "run_pytest": "runner",
    },
)

__all__ = ["InterpreterInfo", "probe_interpreter", "run_pytest"]
