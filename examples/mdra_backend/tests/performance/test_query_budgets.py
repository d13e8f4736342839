"""Work that must not grow with the data: statement counts (N+1 detection), bulk correctness,
cache effectiveness. No wall-clock assertions: those flake on shared CI machines."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from testing_lib.mocks import OpenFDAMock

from mdra.models import PredicateDevice, Project, ProjectStatus, User
from mdra.services.projects import ProjectService
from tests.fixtures.factories import create_predicate, create_project
from tests.fixtures.querycount import QueryCounter

Headers = dict[str, str]


async def _seed(
    session: AsyncSession, owner: User, projects: int, predicates_each: int
) -> list[Project]:
    rows = [
        Project(owner_id=owner.id, name=f"bulk {n}", status=ProjectStatus.ACTIVE)
        for n in range(projects)
    ]
    session.add_all(rows)
    await session.flush()
    session.add_all(
        PredicateDevice(
            project_id=project.id,
            k_number=f"K{project.id:03d}{m:03d}",
            device_name="Catheter",
            product_code="DQY",
        )
        for project in rows
        for m in range(predicates_each)
    )
    await session.commit()
    return rows


async def _statements_to_list(
    async_client: httpx.AsyncClient, headers: Headers, counter: QueryCounter
) -> tuple[int, int]:
    with counter.count():
        response = await async_client.get("/projects", params={"limit": 200}, headers=headers)
    assert response.status_code == 200
    return len(counter.statements), len(response.json())


async def test_listing_projects_costs_the_same_statements_for_3_or_60_projects(
    async_client: httpx.AsyncClient,
    auth_headers: Headers,
    db_session: AsyncSession,
    user: User,
    query_counter: QueryCounter,
) -> None:
    await _seed(db_session, user, projects=3, predicates_each=2)
    few_statements, few = await _statements_to_list(async_client, auth_headers, query_counter)

    await _seed(db_session, user, projects=57, predicates_each=4)
    many_statements, many = await _statements_to_list(async_client, auth_headers, query_counter)

    assert (few, many) == (3, 60)
    assert many_statements == few_statements
    # user lookup + count + projects + predicates (selectin)
    assert len(query_counter.selects) <= 4


async def test_service_listing_loads_predicates_in_one_extra_query(
    session_factory: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
    user: User,
    query_counter: QueryCounter,
) -> None:
    await _seed(db_session, user, projects=25, predicates_each=3)

    async with session_factory() as session:
        with query_counter.count():
            projects = await ProjectService(session).list(user, limit=100)
            predicate_total = sum(len(p.predicates) for p in projects)

    assert predicate_total == 75
    assert len(query_counter.selects) == 2


async def test_project_detail_with_many_predicates_uses_constant_statements(
    async_client: httpx.AsyncClient,
    auth_headers: Headers,
    db_session: AsyncSession,
    user: User,
    query_counter: QueryCounter,
) -> None:
    small = await create_project(db_session, user)
    await create_predicate(db_session, small)
    (large,) = await _seed(db_session, user, projects=1, predicates_each=150)

    with query_counter.count():
        await async_client.get(f"/projects/{small.id}", headers=auth_headers)
    small_count = len(query_counter.statements)
    with query_counter.count():
        response = await async_client.get(f"/projects/{large.id}", headers=auth_headers)

    assert len(response.json()["predicates"]) == 150
    assert len(query_counter.statements) == small_count


async def test_200_bulk_inserted_projects_are_all_persisted_and_paged_exactly_once(
    async_client: httpx.AsyncClient,
    auth_headers: Headers,
    db_session: AsyncSession,
    user: User,
) -> None:
    created = await _seed(db_session, user, projects=200, predicates_each=0)
    assert await db_session.scalar(select(func.count()).select_from(Project)) == 200

    seen: list[int] = []
    offset = 0
    while True:
        page = await async_client.get(
            "/projects", params={"limit": 64, "offset": offset}, headers=auth_headers
        )
        assert page.headers["X-Total-Count"] == "200"
        batch = [p["id"] for p in page.json()]
        if not batch:
            break
        seen.extend(batch)
        offset += len(batch)

    assert seen == sorted(p.id for p in created)
    assert len(set(seen)) == 200


async def test_repeated_predicate_searches_reach_openfda_once(
    async_client: httpx.AsyncClient, auth_headers: Headers, mock_openfda_service: OpenFDAMock
) -> None:
    params = {"product_code": "DQY", "limit": 10}

    await async_client.get("/predicates/search", params=params, headers=auth_headers)
    responses = await asyncio.gather(
        *(
            async_client.get("/predicates/search", params=params, headers=auth_headers)
            for _ in range(30)
        )
    )

    assert {r.headers["X-Cache"] for r in responses} == {"HIT"}
    assert {len(r.json()["results"]) for r in responses} == {10}
    assert mock_openfda_service.call_count("510k") == 1


async def test_concurrent_reads_all_see_the_same_projects(
    async_client: httpx.AsyncClient, auth_headers: Headers, db_session: AsyncSession, user: User
) -> None:
    await _seed(db_session, user, projects=10, predicates_each=2)

    responses = await asyncio.gather(
        *(async_client.get("/projects", headers=auth_headers) for _ in range(20))
    )

    assert {r.status_code for r in responses} == {200}
    bodies = [r.json() for r in responses]
    assert all(body == bodies[0] for body in bodies)
    assert len(bodies[0]) == 10
