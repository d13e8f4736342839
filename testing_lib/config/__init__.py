"""Configuration models: the target, its phases, and the test configuration.

The names below are imported on first use (see `testing_lib.lazy_exports`): reading
`pyproject.py` alone does not load the pydantic models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from testing_lib.config.phases import DEFAULT_PATHS, PHASE_ORDER, PhaseName, parse_phase
    from testing_lib.config.target import (
        PhaseConfig,
        TargetConfig,
        load_target_config,
        resolve_interpreter,
    )
    from testing_lib.config.testing import (
        TestAuthConfig,
        TestConfiguration,
        TestDatabaseConfig,
        TestHTTPConfig,
        TestPerformanceConfig,
        TestServiceConfig,
    )

__getattr__ = lazy_getattr(
    __name__,
    {
        "DEFAULT_PATHS": "phases",
        "PHASE_ORDER": "phases",
        "PhaseName": "phases",
        "parse_phase": "phases",
        "PhaseConfig": "target",
        "TargetConfig": "target",
        "load_target_config": "target",
        "resolve_interpreter": "target",
        "TestAuthConfig": "testing",
        "TestConfiguration": "testing",
        "TestDatabaseConfig": "testing",
        "TestHTTPConfig": "testing",
        "TestPerformanceConfig": "testing",
        "TestServiceConfig": "testing",
    },
)

__all__ = [
    "DEFAULT_PATHS",
    "PHASE_ORDER",
    "PhaseConfig",
    "PhaseName",
    "TargetConfig",
    "TestAuthConfig",
    "TestConfiguration",
    "TestDatabaseConfig",
    "TestHTTPConfig",
    "TestPerformanceConfig",
    "TestServiceConfig",
    "load_target_config",
    "parse_phase",
    "resolve_interpreter",
]
