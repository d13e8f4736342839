"""In-process HTTP clients and HTTP-layer mocks: what each costs per request.

    python benchmarks/http_clients.py [--requests N] [--repeat R]

On the example backend (examples/mdra_backend, `mdra.main:app`, in-memory SQLite):
- requests/s through the library's async client (httpx `ASGITransport`, lifespan run) and
  through starlette's sync `TestClient`, on `GET /health` (one database round trip) and on the
  authenticated `GET /auth/me` (JWT check + user lookup), and their ratio;
- the cost of one mocked outbound request: a bare `httpx.MockTransport` (no patching) against
  a respx route with a fixed answer, and against `OpenFDAMock` (respx plus search and paging
  over its data set), as microseconds and ratios.
Each figure is the median of `--repeat` runs of `--requests` sequential requests, after a
warm-up. Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from secrets import token_hex
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "mdra_backend"
sys.path[:0] = [str(REPO), str(EXAMPLE)]

from testing_lib.auth import AuthTestFixtures  # noqa: E402
from testing_lib.config.testing import TestConfiguration  # noqa: E402
from testing_lib.environment import TestEnvironment  # noqa: E402
from testing_lib.http import TestClientFactory  # noqa: E402
from testing_lib.mocks import OpenFDAMock  # noqa: E402

FDA_URL = "https://api.fda.gov/device/510k.json"
FDA_PARAMS = {"search": 'product_code:"DQY"', "limit": 5}


def median_rate(samples: list[float], count: int) -> float:
    return count / statistics.median(samples)


async def time_async(call: Callable[[], Awaitable[Any]], count: int, repeat: int) -> list[float]:
    return (await time_interleaved({"call": call}, count, repeat))["call"]


async def time_interleaved(
    calls: dict[str, Callable[[], Awaitable[Any]]], count: int, repeat: int
) -> dict[str, list[float]]:
    """Each call `count` times per round, rounds alternating, so load drifts hit all alike."""
    for call in calls.values():
        for _ in range(min(count, 20)):
            await call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeat):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(count):
                await call()
            samples[name].append(time.perf_counter() - start)
    return samples


def time_sync(call: Callable[[], Any], count: int, repeat: int) -> list[float]:
    for _ in range(min(count, 20)):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(count):
            call()
        samples.append(time.perf_counter() - start)
    return samples


async def prepared_app() -> tuple[Any, dict[str, str], Callable[[], Awaitable[None]]]:
    """mdra's app on a private in-memory database holding one user; headers for that user."""
    from mdra.database import Base, build_engine, build_sessionmaker, get_session
    from mdra.main import app
    from mdra.models import User
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.pool import StaticPool

    engine = build_engine(
        "sqlite+aiosqlite:///:memory:",
        poolclass=StaticPool,
        connect_args={"check_same_thread": False},
    )
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = build_sessionmaker(engine)
    async with sessions() as session:
        user = User(email="bench@example.com", full_name="Bench", hashed_password=token_hex(8))
        session.add(user)
        await session.commit()
        user_id = user.id

    async def override_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    app.dependency_overrides[get_session] = override_session
    headers = AuthTestFixtures(extra_claims={"type": "access"}).create_auth_headers({"id": user_id})

    async def dispose() -> None:
        app.dependency_overrides.clear()
        await engine.dispose()

    return app, headers, dispose


async def bench_clients(count: int, repeat: int) -> dict[str, float]:
    import httpx

    app, headers, dispose = await prepared_app()
    factory = TestClientFactory(app)
    rates: dict[str, float] = {}
    try:
        async with factory.create_client() as client:
            # the same app through a bare ASGITransport: what the deadline wrapper costs
            bare = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=client._dispatch), base_url="http://testserver"
            )
            async with bare:
                for response in (
                    await client.get("/health"),
                    await client.get("/auth/me", headers=headers),
                ):
                    assert response.status_code == 200, response.text
                samples = await time_interleaved(
                    {
                        "async health": lambda: client.get("/health"),
                        "bare health": lambda: bare.get("/health"),
                        "async auth/me": lambda: client.get("/auth/me", headers=headers),
                    },
                    count,
                    repeat,
                )
            rates.update({name: median_rate(times, count) for name, times in samples.items()})

        def run_sync() -> None:
            with factory.create_sync_client() as client:
                for name, path, extra in (
                    ("health", "/health", {}),
                    ("auth/me", "/auth/me", headers),
                ):
                    assert client.get(path, headers=extra).status_code == 200
                    samples = time_sync(
                        lambda p=path, e=extra: client.get(p, headers=e), count, repeat
                    )
                    rates[f"sync {name}"] = median_rate(samples, count)

        await asyncio.to_thread(run_sync)  # TestClient runs its own event loop
    finally:
        await dispose()
    return rates


async def bench_mocks(count: int, repeat: int) -> dict[str, float]:
    import httpx
    import respx

    fixed = {"meta": {"results": {"skip": 0, "limit": 5, "total": 5}}, "results": []}
    costs: dict[str, float] = {}

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=fixed))
    async with httpx.AsyncClient(transport=transport) as client:
        samples = await time_async(lambda: client.get(FDA_URL, params=FDA_PARAMS), count, repeat)
    costs["httpx.MockTransport"] = statistics.median(samples) / count * 1e6

    with respx.mock(assert_all_called=False) as router:
        router.get(FDA_URL).respond(json=fixed)
        async with httpx.AsyncClient() as client:
            samples = await time_async(
                lambda: client.get(FDA_URL, params=FDA_PARAMS), count, repeat
            )
    costs["respx, fixed answer"] = statistics.median(samples) / count * 1e6

    with OpenFDAMock():
        async with httpx.AsyncClient() as client:
            response = await client.get(FDA_URL, params=FDA_PARAMS)
            assert response.status_code == 200
            assert len(response.json()["results"]) == 5
            samples = await time_async(
                lambda: client.get(FDA_URL, params=FDA_PARAMS), count, repeat
            )
    costs["OpenFDAMock (respx + search)"] = statistics.median(samples) / count * 1e6
    return costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("PASSWORD_HASH_ITERATIONS", "1000")
    warnings.simplefilter("ignore", ResourceWarning)

    with TestEnvironment(TestConfiguration()).applied():
        rates = asyncio.run(bench_clients(args.requests, args.repeat))
        costs = asyncio.run(bench_mocks(args.requests, args.repeat))

    print(f"in-process clients on mdra ({args.requests} requests x {args.repeat}, median)")
    for route in ("health", "auth/me"):
        fast, slow = rates[f"async {route}"], rates[f"sync {route}"]
        print(
            f"  {route:8} async client {fast:8.0f} req/s   TestClient {slow:8.0f} req/s   "
            f"async/TestClient = {fast / slow:.2f}x"
        )
    overhead = rates["bare health"] / rates["async health"]
    print(
        f"  health   bare ASGITransport {rates['bare health']:8.0f} req/s   "
        f"(library client time / bare time = {overhead:.2f}: deadline + lifespan plumbing)"
    )
    print("cost of one mocked outbound request (httpx.AsyncClient -> openFDA URL)")
    base = costs["httpx.MockTransport"]
    for name, micros in costs.items():
        print(f"  {name:30} {micros:8.1f} us   x{micros / base:.2f} of MockTransport")
    health = 1e6 / rates["async health"]
    print(
        f"  OpenFDAMock per request = {costs['OpenFDAMock (respx + search)'] / health:.2f}x "
        "one in-process GET /health through the async client"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
