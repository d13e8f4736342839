"""remediation-engine's testing library and pytest plugin (no Prefect in here)."""

from testing_lib.config import (
    PHASE_ORDER,
    PhaseConfig,
    PhaseName,
    TargetConfig,
    TestAuthConfig,
    TestConfiguration,
    TestDatabaseConfig,
    TestHTTPConfig,
    TestPerformanceConfig,
    TestServiceConfig,
    load_target_config,
)
from testing_lib.environment import TEST_ENV_VARS, TestEnvironment
from testing_lib.error_recovery import CleanupError, TestErrorRecovery
from testing_lib.exceptions import (
    AuthenticationTestError,
    DatabaseIsolationError,
    RunnerError,
    ServiceMockingError,
    TargetConfigError,
    TestInfrastructureError,
)
from testing_lib.gate_decision import decide_gate
from testing_lib.report import (
    CheckResult,
    CheckStatus,
    PhaseReport,
    PhaseStatus,
    RemediationReport,
)
from testing_lib.results import CollectionError, TestResult, TestStatus, TestSuiteResult

__all__ = [
    "PHASE_ORDER",
    "TEST_ENV_VARS",
    "AuthenticationTestError",
    "CheckResult",
    "CheckStatus",
    "CleanupError",
    "CollectionError",
    "DatabaseIsolationError",
    "PhaseConfig",
    "PhaseName",
    "PhaseReport",
    "PhaseStatus",
    "RemediationReport",
    "RunnerError",
    "ServiceMockingError",
    "TargetConfig",
    "TargetConfigError",
    "TestAuthConfig",
    "TestConfiguration",
    "TestDatabaseConfig",
    "TestEnvironment",
    "TestErrorRecovery",
    "TestHTTPConfig",
    "TestInfrastructureError",
    "TestPerformanceConfig",
    "TestResult",
    "TestServiceConfig",
    "TestStatus",
    "TestSuiteResult",
    "decide_gate",
    "load_target_config",
]
