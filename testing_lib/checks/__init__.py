"""Phase checks: what each phase verifies before its pytest gate."""

from __future__ import annotations

from typing import Final

from testing_lib.checks.base import PhaseCheck
from testing_lib.checks.db_isolation import DB_ISOLATION_CHECK, check_database_isolation
from testing_lib.checks.environment import ENVIRONMENT_CHECK, check_test_environment
from testing_lib.checks.migrations import MIGRATION_CHECK, check_model_migration_consistency
from testing_lib.checks.organization import ORGANIZATION_CHECK, check_test_organization
from testing_lib.config.phases import PhaseName

PHASE_CHECKS: Final[dict[PhaseName, tuple[PhaseCheck, ...]]] = {
    "foundation": (ENVIRONMENT_CHECK, ORGANIZATION_CHECK, DB_ISOLATION_CHECK),
    "core_infrastructure": (MIGRATION_CHECK,),
    "service_integration": (),
    "final_validation": (),
}

__all__ = [
    "DB_ISOLATION_CHECK",
    "ENVIRONMENT_CHECK",
    "MIGRATION_CHECK",
    "ORGANIZATION_CHECK",
    "PHASE_CHECKS",
    "PhaseCheck",
    "check_database_isolation",
    "check_model_migration_consistency",
    "check_test_environment",
    "check_test_organization",
]
