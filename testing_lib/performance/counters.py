"""Process-wide counters of SQL statements and HTTP requests, installed once, read per test.

One implementation for both monitors: it lives in the injected `remediation_monitor` plugin
(standard library and pytest only, so it also runs in targets without this project) and is
re-exported here for `TestPerformanceMonitor`.
"""

from testing_lib.runner.target_plugins import Counters

__all__ = ["Counters"]
