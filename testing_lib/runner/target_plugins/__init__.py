"""Plugins injected into a target's pytest run, in the target's own interpreter.

The runner puts this folder on the target's PYTHONPATH and loads its modules by name
(`-p remediation_collector`, ...), so they use only the standard library and pytest, in
Python 3.9 syntax, and never import this package. What the engine shares with them (the
environment variables naming their output files, the monitor's sampler, the shard split)
is re-exported here: engine code imports it from this package, not from a plugin module.
"""

from testing_lib.runner.target_plugins.remediation_monitor import (
    MONITOR_FILE_ENV,
    Counters,
    Monitor,
    Sample,
    Sampler,
    metrics_record,
)
from testing_lib.runner.target_plugins.remediation_network import (
    NETWORK_FILE_ENV,
    current_test_id,
    is_loopback,
    write_record,
)
from testing_lib.runner.target_plugins.remediation_requests import REQUESTS_FILE_ENV
from testing_lib.runner.target_plugins.remediation_shard import split_balanced

__all__ = [
    "MONITOR_FILE_ENV",
    "NETWORK_FILE_ENV",
    "REQUESTS_FILE_ENV",
    "Counters",
    "Monitor",
    "Sample",
    "Sampler",
    "current_test_id",
    "is_loopback",
    "metrics_record",
    "split_balanced",
    "write_record",
]
