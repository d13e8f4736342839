"""Isolation validation: run a suite in several orders and find what depends on order.

`validate_isolation` (or `TestIsolationValidator`) runs the target's tests for real with its
own interpreter, through a pytest worker that collects once and forks a child per run.

The names are imported on first use (see `testing_lib.lazy_exports`): a command that only
shows its progress, or reads one submodule, does not load the validator and its models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
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

__getattr__ = lazy_getattr(
    __name__,
    {
        "IsolationReport": "order_models",
        "IsolationTestResult": "order_models",
        "OrderDependentTest": "order_models",
        "OrderRun": "order_models",
        "PolluterPair": "order_models",
        "StateLeak": "order_models",
        "TestOrder": "orders",
        "build_orders": "orders",
        "TestIsolationValidator": "validator",
        "replay_command": "validator",
        "validate_isolation": "validator",
        "ForkedRun": "worker",
        "ForkWorker": "worker",
    },
)

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
