"""Configuration models: the target, its phases, and the test configuration."""

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
