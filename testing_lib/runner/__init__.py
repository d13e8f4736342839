"""Run a pytest selection of any target project and collect structured per-test results."""

from testing_lib.runner.probe import InterpreterInfo, probe_interpreter
from testing_lib.runner.runner import run_pytest

__all__ = ["InterpreterInfo", "probe_interpreter", "run_pytest"]
