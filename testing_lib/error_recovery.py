"""Test error recovery: cleanup that always runs, recovery by type.

Cleanup runs on success as well as on failure, a recovery strategy
is chosen along the exception's MRO (a handler for `TestInfrastructureError` serves its
subclasses), and the original exception is always re-raised. A cleanup handler that fails
does not hide the test's own error: it is logged, and raised afterwards only when the
test itself succeeded.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

logger = logging.getLogger(__name__)

CleanupHandler = Callable[[str], Awaitable[Any] | Any]
RecoveryStrategy = Callable[[BaseException, str], Awaitable[Any] | Any]


class CleanupError(Exception):
    """One or more cleanup handlers failed after an otherwise successful test."""

    def __init__(self, test_name: str, failures: dict[str, BaseException]) -> None:
        self.test_name = test_name
        self.failures = failures
        names = ", ".join(f"{name}: {exc!r}" for name, exc in failures.items())
        super().__init__(f"cleanup failed for test {test_name}: {names}")


async def _call(handler: Callable[..., Any], *args: Any) -> None:
    outcome = handler(*args)
    if inspect.isawaitable(outcome):
        await outcome


class TestErrorRecovery:
    """Handles test error recovery and cleanup."""

    __test__ = False

    def __init__(self) -> None:
        self.cleanup_handlers: dict[str, CleanupHandler] = {}
        self.recovery_strategies: dict[type[BaseException], RecoveryStrategy] = {}

    def register_cleanup_handler(self, name: str, handler: CleanupHandler) -> None:
        """Register a cleanup handler; handlers run in reverse order of registration."""
        self.cleanup_handlers[name] = handler

    def register_recovery_strategy(
        self, exception_type: type[BaseException], strategy: RecoveryStrategy
    ) -> None:
        self.recovery_strategies[exception_type] = strategy

    def strategy_for(self, exc: BaseException) -> RecoveryStrategy | None:
        for klass in type(exc).__mro__:
            strategy = self.recovery_strategies.get(klass)
            if strategy is not None:
                return strategy
        return None

    @asynccontextmanager
    async def error_recovery_context(self, test_name: str) -> AsyncIterator[None]:
        try:
            yield
        except Exception as exc:
            logger.error("test %s failed: %r", test_name, exc)
            strategy = self.strategy_for(exc)
            if strategy is not None:
                try:
                    await _call(strategy, exc, test_name)
                except Exception as recovery_error:  # noqa: BLE001 - reported, original re-raised
                    logger.error("recovery failed for test %s: %r", test_name, recovery_error)
                    exc.add_note(f"recovery strategy failed: {recovery_error!r}")
                else:
                    logger.info("recovery ran for test %s", test_name)
            failures = await self._run_cleanup_handlers(test_name)
            for name, failure in failures.items():
                exc.add_note(f"cleanup handler {name!r} failed: {failure!r}")
            raise
        failures = await self._run_cleanup_handlers(test_name)
        if failures:
            raise CleanupError(test_name, failures)

    async def _run_cleanup_handlers(self, test_name: str) -> dict[str, BaseException]:
        failures: dict[str, BaseException] = {}
        for name, handler in reversed(list(self.cleanup_handlers.items())):
            try:
                await _call(handler, test_name)
            except Exception as exc:  # noqa: BLE001 - every handler must get its turn
                logger.warning("cleanup handler %s failed for test %s: %r", name, test_name, exc)
                failures[name] = exc
        return failures
