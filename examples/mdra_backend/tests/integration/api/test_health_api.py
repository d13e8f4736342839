"""The health route and the error envelope, through the library's in-process clients."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from testing_lib.di import TestDependencyContainer
from testing_lib.http import APITestUtils

from mdra import __version__
from mdra.database import build_engine, build_sessionmaker, get_session

if TYPE_CHECKING:  # importing it warns (starlette wants httpx2); the fixture imports it quietly
    from starlette.testclient import TestClient


async def test_health_reports_ok_after_a_database_round_trip(
    async_client: httpx.AsyncClient,
) -> None:
    response = await async_client.get("/health")

    body = APITestUtils.assert_success_response(response)
    assert body == {"status": "ok", "database": "ok", "version": __version__}


def test_a_sync_suite_gets_the_same_answer_from_the_test_client(test_client: TestClient) -> None:
    response = test_client.get("/no-such-route")

    APITestUtils.assert_error_response(response, 404, "not_found")


async def test_health_reports_degraded_with_503_when_the_database_fails(
    async_client: httpx.AsyncClient, dependency_container: TestDependencyContainer, tmp_path: Path
) -> None:
    missing = tmp_path / "missing-dir" / "x.db"

    async def refuse_to_connect() -> Any:
        # What opening a database file in a missing folder raises, without starting
        # aiosqlite's worker thread: after a failed connect that thread reports back to the
        # test's event loop, which pytest-asyncio may have closed by then ("Event loop is
        # closed" in a thread, failing whichever test runs next).
        raise sqlite3.OperationalError(f"unable to open database file {missing}")

    unreachable = build_engine(f"sqlite+aiosqlite:///{missing}", async_creator=refuse_to_connect)
    broken_sessions = build_sessionmaker(unreachable)

    async def broken_session() -> AsyncIterator[AsyncSession]:
        async with broken_sessions() as session:
            yield session

    try:
        async with dependency_container.override_dependencies({get_session: broken_session}):
            response = await async_client.get("/health")
        restored = await async_client.get("/health")
    finally:
        await unreachable.dispose()

    body: dict[str, Any] = response.json()
    assert response.status_code == 503
    assert (body["status"], body["database"]) == ("degraded", "error")
    assert restored.status_code == 200


async def test_unknown_routes_answer_with_the_error_envelope(
    async_client: httpx.AsyncClient,
) -> None:
    response = await async_client.get("/no-such-route")

    body = APITestUtils.assert_error_response(response, 404, "not_found")
    assert body == {"error": {"code": "not_found", "message": "Not Found"}}


async def test_wrong_method_answers_405_in_the_error_envelope(
    async_client: httpx.AsyncClient,
) -> None:
    response = await async_client.delete("/health")

    APITestUtils.assert_error_response(response, 405, "method_not_allowed")


async def test_lifespan_provides_an_openfda_client_and_a_cache(
    remediation_app: FastAPI, async_client: httpx.AsyncClient
) -> None:
    assert remediation_app.state.openfda is not None
    assert remediation_app.state.cache is not None
    assert (await async_client.get("/health")).status_code == 200
