"""CI profiles: the target's suite run for real under CI-like constraints."""

from testing_lib.ci.ci_validator import (
    ChangedTest,
    CICDValidationResult,
    CICDValidator,
    can_create_network_namespace,
)
from testing_lib.ci.profiles import PROFILE_NAMES, CIProfile, ProfileName, build_profile

__all__ = [
    "PROFILE_NAMES",
    "CICDValidationResult",
    "CICDValidator",
    "CIProfile",
    "ChangedTest",
    "ProfileName",
    "build_profile",
    "can_create_network_namespace",
]
