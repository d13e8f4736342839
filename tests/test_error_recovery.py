from __future__ import annotations

import pytest

from testing_lib import DatabaseIsolationError, TestErrorRecovery, TestInfrastructureError
from testing_lib.error_recovery import CleanupError

pytestmark = pytest.mark.asyncio


async def test_cleanup_runs_in_reverse_order_on_success() -> None:
    recovery = TestErrorRecovery()
    calls: list[str] = []
    recovery.register_cleanup_handler("db", lambda name: calls.append(f"db:{name}"))

    async def close_client(name: str) -> None:
        calls.append(f"client:{name}")

    recovery.register_cleanup_handler("client", close_client)
    async with recovery.error_recovery_context("t1"):
        calls.append("body")
    assert calls == ["body", "client:t1", "db:t1"]


async def test_original_error_is_reraised_after_recovery_and_cleanup() -> None:
    recovery = TestErrorRecovery()
    seen: list[str] = []

    async def recover(exc: BaseException, name: str) -> None:
        seen.append(f"recover:{type(exc).__name__}:{name}")

    recovery.register_recovery_strategy(TestInfrastructureError, recover)
    recovery.register_cleanup_handler("db", lambda name: seen.append("cleanup"))
    error = DatabaseIsolationError("t2", RuntimeError("locked"))
    with pytest.raises(DatabaseIsolationError) as info:
        async with recovery.error_recovery_context("t2"):
            raise error
    assert info.value is error
    assert seen == ["recover:DatabaseIsolationError:t2", "cleanup"]


async def test_failing_cleanup_is_attached_to_the_test_error_not_hidden() -> None:
    recovery = TestErrorRecovery()

    def broken(name: str) -> None:
        raise OSError("disk gone")

    recovery.register_cleanup_handler("files", broken)
    with pytest.raises(ValueError, match="real failure") as info:
        async with recovery.error_recovery_context("t3"):
            raise ValueError("real failure")
    assert any("disk gone" in note for note in info.value.__notes__)


async def test_failing_cleanup_after_a_passing_body_is_raised() -> None:
    recovery = TestErrorRecovery()

    def broken(name: str) -> None:
        raise OSError("disk gone")

    recovery.register_cleanup_handler("files", broken)
    with pytest.raises(CleanupError, match="disk gone"):
        async with recovery.error_recovery_context("t4"):
            pass
