"""remediation-engine's testing library and pytest plugin (no Prefect in here).

The names below are imported on first use (see `testing_lib.lazy_exports`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from testing_lib.lazy_exports import lazy_getattr

if TYPE_CHECKING:
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

__getattr__ = lazy_getattr(
    __name__,
    {
        "PHASE_ORDER": "config",
        "PhaseConfig": "config",
        "PhaseName": "config",
        "TargetConfig": "config",
        "TestAuthConfig": "config",
        "TestConfiguration": "config",
        "TestDatabaseConfig": "config",
        "TestHTTPConfig": "config",
        "TestPerformanceConfig": "config",
        "TestServiceConfig": "config",
        "load_target_config": "config",
        "TEST_ENV_VARS": "environment",
        "TestEnvironment": "environment",
        "CleanupError": "error_recovery",
        "TestErrorRecovery": "error_recovery",
        "AuthenticationTestError": "exceptions",
        "DatabaseIsolationError": "exceptions",
        "RunnerError": "exceptions",
        "ServiceMockingError": "exceptions",
        "TargetConfigError": "exceptions",
        "TestInfrastructureError": "exceptions",
        "decide_gate": "gate_decision",
        "CheckResult": "report",
        "CheckStatus": "report",
        "PhaseReport": "report",
        "PhaseStatus": "report",
        "RemediationReport": "report",
        "CollectionError": "results",
        "TestResult": "results",
        "TestStatus": "results",
        "TestSuiteResult": "results",
    },
)

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
