"""Phase checks: what each phase verifies before its pytest gate."""

from __future__ import annotations

from typing import Final

from testing_lib.checks.auth_paths import AUTH_PATHS_CHECK, check_auth_paths
from testing_lib.checks.base import PhaseCheck
from testing_lib.checks.ci_profiles import CI_PROFILES_CHECK
from testing_lib.checks.db_isolation import DB_ISOLATION_CHECK, check_database_isolation
from testing_lib.checks.environment_check import ENVIRONMENT_CHECK, check_test_environment
from testing_lib.checks.http_patterns import HTTP_PATTERNS_CHECK, check_http_client_patterns
from testing_lib.checks.migration_consistency import (
    MIGRATION_CHECK,
    check_model_migration_consistency,
)
from testing_lib.checks.order_isolation import ISOLATION_CHECK
from testing_lib.checks.organization import ORGANIZATION_CHECK, check_test_organization
from testing_lib.checks.overrides import OVERRIDE_LEAK_CHECK, check_override_leaks
from testing_lib.checks.performance import PERFORMANCE_CHECK
from testing_lib.checks.real_network import NETWORK_CHECK, check_no_real_network
from testing_lib.config.phases import PhaseName

PHASE_CHECKS: Final[dict[PhaseName, tuple[PhaseCheck, ...]]] = {
    "foundation": (ENVIRONMENT_CHECK, ORGANIZATION_CHECK, DB_ISOLATION_CHECK),
    "core_infrastructure": (HTTP_PATTERNS_CHECK, MIGRATION_CHECK),
    "service_integration": (NETWORK_CHECK, AUTH_PATHS_CHECK),
    "final_validation": (
        OVERRIDE_LEAK_CHECK,
        PERFORMANCE_CHECK,
        ISOLATION_CHECK,
        CI_PROFILES_CHECK,
    ),
}

__all__ = [
    "CI_PROFILES_CHECK",
    "ISOLATION_CHECK",
    "PERFORMANCE_CHECK",
    "AUTH_PATHS_CHECK",
    "HTTP_PATTERNS_CHECK",
    "NETWORK_CHECK",
    "OVERRIDE_LEAK_CHECK",
    "check_auth_paths",
    "check_http_client_patterns",
    "check_no_real_network",
    "check_override_leaks",
    "DB_ISOLATION_CHECK",
    "ENVIRONMENT_CHECK",
    "ORGANIZATION_CHECK",
    "check_test_organization",
    "MIGRATION_CHECK",
    "PHASE_CHECKS",
    "PhaseCheck",
    "check_database_isolation",
    "check_model_migration_consistency",
    "check_test_environment",
]
