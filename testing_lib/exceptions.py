"""The exception family raised across the library (base: `TestInfrastructureError`)."""

from __future__ import annotations


class TestInfrastructureError(Exception):
    """Base exception for test infrastructure errors."""

    __test__ = False


class DatabaseIsolationError(TestInfrastructureError):
    """Raised when database isolation fails."""

    def __init__(self, test_name: str, original_error: Exception) -> None:
        self.test_name = test_name
        self.original_error = original_error
        super().__init__(f"Database isolation failed for test {test_name}: {original_error}")


class ServiceMockingError(TestInfrastructureError):
    """Raised when service mocking fails."""

    def __init__(self, service_name: str, reason: str) -> None:
        self.service_name = service_name
        self.reason = reason
        super().__init__(f"Failed to mock service {service_name}: {reason}")


class AuthenticationTestError(TestInfrastructureError):
    """Raised when authentication testing setup fails."""

    def __init__(self, auth_type: str, reason: str) -> None:
        self.auth_type = auth_type
        self.reason = reason
        super().__init__(f"Authentication test setup failed for {auth_type}: {reason}")


class TargetConfigError(TestInfrastructureError):
    """The target or its `[tool.remediation]` configuration is unusable.

    The message always names the file and key (or path) to fix.
    """


class RunnerError(TestInfrastructureError):
    """The pytest runner could not start (bad interpreter, missing plugin)."""
