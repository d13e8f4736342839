"""Dependency injection for tests: named services and restorable FastAPI overrides."""

from testing_lib.di.container import OverrideScope, ServiceNotFoundError, TestDependencyContainer
from testing_lib.di.leaks import (
    DependencyOverrideLeakError,
    DependencyOverrideLeakWarning,
    OverrideLeak,
)
from testing_lib.di.watch import watch_app

__all__ = [
    "DependencyOverrideLeakError",
    "DependencyOverrideLeakWarning",
    "OverrideLeak",
    "OverrideScope",
    "ServiceNotFoundError",
    "TestDependencyContainer",
    "watch_app",
]
