"""Isolation validation: run a suite in several orders and find what depends on order.

`validate_isolation` (or `TestIsolationValidator`) runs the target's tests for real with its
own interpreter, through a pytest worker that collects once and forks a child per run.
"""

from testing_lib.isolation.order_models import (
    IsolationReport,
    IsolationTestResult,
    OrderDependentTest,
    OrderRun,
    PolluterPair,
    StateLeak,
)
from testing_lib.isolation.orders import TestOrder, build_orders
from testing_lib.isolation.validator import (
    TestIsolationValidator,
    replay_command,
    validate_isolation,
)
from testing_lib.isolation.worker import ForkedRun, ForkWorker

__all__ = [
    "ForkWorker",
    "ForkedRun",
    "IsolationReport",
    "IsolationTestResult",
    "OrderDependentTest",
    "OrderRun",
    "PolluterPair",
    "StateLeak",
    "TestIsolationValidator",
    "TestOrder",
    "build_orders",
    "replay_command",
    "validate_isolation",
]
