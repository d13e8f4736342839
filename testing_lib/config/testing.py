"""The `TestConfiguration` family: how a target's tests are set up.

Read from `[tool.remediation.testing]` in the target's pyproject.toml. No secret has a
default: a missing JWT secret is generated once per test session (see `environment.py`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TestDatabaseConfig(_Strict):
    """Configuration for test database setup."""

    __test__ = False

    url: str = "sqlite+aiosqlite:///:memory:"
    isolation_level: Literal["function", "class", "module"] = "function"
    auto_cleanup: bool = True
    create_schema: bool = True
    # "transaction": one schema per session, each test rolled back (fast, the default);
    # "fresh": a new database per test copied from a template (real commits).
    strategy: Literal["transaction", "fresh"] = "transaction"
    # In-memory SQLite test databases run sqlite3 on the event loop's thread instead of
    # aiosqlite's worker thread (about 2.5x faster a test); false keeps aiosqlite's thread.
    sqlite_in_loop: bool = True
    # The target's alembic configuration, relative to its root (model/migration checks).
    alembic_config: str = "alembic.ini"


class TestHTTPConfig(_Strict):
    """Configuration for HTTP client testing."""

    __test__ = False

    use_test_client: bool = True
    timeout_seconds: float = Field(default=30.0, gt=0)
    follow_redirects: bool = True
    verify_ssl: bool = False


_ADMIN_CLAIMS: dict[str, str | int | bool] = {"role": "admin"}


class TestAuthConfig(_Strict):
    """Configuration for authentication testing. `jwt_secret=None` means generate per session."""

    __test__ = False

    jwt_secret: SecretStr | None = None
    jwt_algorithm: str = "HS256"
    token_expiry_hours: int = Field(default=1, ge=0)
    mock_oauth: bool = True
    # Claims added to every test token (e.g. {type = "access"} when the app checks a type).
    extra_claims: dict[str, str | int | bool] = Field(default_factory=dict)
    # Claims added to the admin client's token, on top of extra_claims.
    admin_claims: dict[str, str | int | bool] = Field(default_factory=lambda: _ADMIN_CLAIMS.copy())
    # Dependencies that authenticate ("pkg.module:get_current_user"), for the auth-paths
    # check; FastAPI security schemes (HTTPBearer, OAuth2PasswordBearer, ...) count anyway.
    auth_dependencies: list[str] = Field(default_factory=list)


class TestServiceConfig(_Strict):
    """Configuration for service mocking."""

    __test__ = False

    mock_external_services: bool = True
    mock_redis: bool = True
    mock_fda_api: bool = True
    service_timeout_seconds: float = Field(default=5.0, gt=0)
    redis_url: str = ""  # empty: the target uses no real Redis in tests
    fda_base_url: str = "https://api.fda.gov"  # what the openFDA mock answers for
    fda_api_key: SecretStr | None = None  # None: a throwaway key is generated per session


class TestPerformanceConfig(_Strict):
    """Configuration for performance monitoring."""

    __test__ = False

    enable_monitoring: bool = True
    execution_time_threshold_ms: float = Field(default=5000, gt=0)
    memory_threshold_mb: float = Field(default=100, gt=0)
    database_query_threshold: int = Field(default=50, gt=0)
    http_request_threshold: int = Field(default=10, gt=0)  # flagged above 10 requests per test


class TestConfiguration(_Strict):
    """Complete test configuration."""

    __test__ = False

    database: TestDatabaseConfig = Field(default_factory=TestDatabaseConfig)
    http: TestHTTPConfig = Field(default_factory=TestHTTPConfig)
    auth: TestAuthConfig = Field(default_factory=TestAuthConfig)
    services: TestServiceConfig = Field(default_factory=TestServiceConfig)
    performance: TestPerformanceConfig = Field(default_factory=TestPerformanceConfig)

    environment: str = "test"
    debug: bool = False
    log_level: str = "INFO"
