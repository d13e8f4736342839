from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from mdra import __version__
from mdra.database import build_engine, build_sessionmaker, get_session


async def test_health_reports_ok_after_a_database_round_trip(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": __version__}


async def test_health_reports_degraded_with_503_when_the_database_fails(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    unreachable = build_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    broken_sessions = build_sessionmaker(unreachable)

    async def broken_session() -> AsyncIterator[AsyncSession]:
        async with broken_sessions() as session:
            yield session

    app.dependency_overrides[get_session] = broken_session
    try:
        response = await client.get("/health")
    finally:
        await unreachable.dispose()

    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] == "error"


async def test_unknown_routes_answer_with_the_error_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-route")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found"}}


async def test_wrong_method_answers_405_in_the_error_envelope(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_lifespan_provides_an_openfda_client_and_a_cache(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert app.state.openfda is not None
    assert app.state.cache is not None
    assert (await client.get("/health")).status_code == 200
