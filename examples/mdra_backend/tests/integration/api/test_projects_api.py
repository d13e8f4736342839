"""Projects over HTTP: CRUD, ownership, admin visibility, status workflow, predicates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from testing_lib.database import TestDataFactory
from testing_lib.http import APITestUtils

from mdra.models import PredicateDevice, ProjectStatus, User
from tests.fixtures.factories import create_predicate, create_project

Headers = dict[str, str]
PREDICATE = {
    "k_number": "k213456",
    "device_name": "Catheter, Intravascular, Diagnostic",
    "product_code": "dqy",
    "decision_date": "2021-06-15",
    "applicant": "Acme Medical",
}


async def _create(
    client: httpx.AsyncClient, headers: Headers | None = None, **body: Any
) -> dict[str, Any]:
    """POST /projects as the client's user (or as whoever `headers` authenticate)."""
    payload = {"name": "Cardiac catheter 510(k)", "device_type": "Catheter", **body}
    response = await client.post("/projects", json=payload, headers=headers)
    return dict(APITestUtils.assert_success_response(response, 201))


async def test_a_new_project_starts_as_draft_and_belongs_to_the_caller(
    authenticated_client: httpx.AsyncClient, user: User
) -> None:
    project = await _create(authenticated_client, intended_use="Diagnostic imaging")

    assert project["status"] == "DRAFT"
    assert project["owner_id"] == user.id
    assert project["intended_use"] == "Diagnostic imaging"
    assert project["predicates"] == []
    fetched = await authenticated_client.get(f"/projects/{project['id']}")
    assert fetched.json() == project


async def test_listing_shows_only_the_callers_projects_with_a_total(
    authenticated_client: httpx.AsyncClient, other_headers: Headers
) -> None:
    mine = [await _create(authenticated_client, name=f"mine {n}") for n in range(2)]
    await _create(authenticated_client, other_headers, name="theirs")

    response = await authenticated_client.get("/projects")

    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == [p["id"] for p in mine]
    assert response.headers["X-Total-Count"] == "2"


async def test_an_admin_lists_every_project(
    authenticated_client: httpx.AsyncClient,
    admin_client: httpx.AsyncClient,
    other_headers: Headers,
) -> None:
    await _create(authenticated_client)
    await _create(authenticated_client, other_headers)

    response = await admin_client.get("/projects")

    assert len(response.json()) == 2
    assert response.headers["X-Total-Count"] == "2"


async def test_the_list_can_be_filtered_by_status(
    authenticated_client: httpx.AsyncClient,
    test_data_factory: TestDataFactory,
    user: User,
) -> None:
    for status in (ProjectStatus.ACTIVE, ProjectStatus.ACTIVE, ProjectStatus.DRAFT):
        await test_data_factory.create_project(user_id=user.id, status=status)
    await test_data_factory.create_project(status=ProjectStatus.ACTIVE)  # someone else's

    response = await authenticated_client.get("/projects", params={"status": "ACTIVE"})

    assert {p["status"] for p in response.json()} == {"ACTIVE"}
    assert response.headers["X-Total-Count"] == "2"


async def test_the_list_pages_with_limit_and_offset(
    authenticated_client: httpx.AsyncClient,
) -> None:
    ids = [(await _create(authenticated_client, name=f"p{n}"))["id"] for n in range(5)]

    first = await authenticated_client.get("/projects", params={"limit": 2})
    last = await authenticated_client.get("/projects", params={"limit": 2, "offset": 4})

    assert [p["id"] for p in first.json()] == ids[:2]
    assert [p["id"] for p in last.json()] == ids[4:]
    assert first.headers["X-Total-Count"] == "5"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "hijacked"}),
        ("DELETE", "", None),
        ("POST", "/status", {"status": "ACTIVE"}),
        ("POST", "/predicates", PREDICATE),
    ],
)
async def test_someone_elses_project_looks_like_it_does_not_exist(
    authenticated_client: httpx.AsyncClient,
    other_headers: Headers,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    project = await _create(authenticated_client)

    response = await authenticated_client.request(
        method, f"/projects/{project['id']}{suffix}", json=body, headers=other_headers
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    unchanged = await authenticated_client.get(f"/projects/{project['id']}")
    assert unchanged.json() == project


async def test_an_admin_can_read_someone_elses_project(
    authenticated_client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    project = await _create(authenticated_client)

    response = await admin_client.get(f"/projects/{project['id']}")

    assert response.status_code == 200
    assert response.json()["id"] == project["id"]


async def test_patch_changes_only_the_given_fields(authenticated_client: httpx.AsyncClient) -> None:
    project = await _create(authenticated_client, description="old", intended_use="keep me")

    response = await authenticated_client.patch(
        f"/projects/{project['id']}", json={"description": "new"}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["description"] == "new"
    assert body["intended_use"] == "keep me"
    assert body["name"] == project["name"]
    assert body["updated_at"] >= project["updated_at"]


async def test_patch_refuses_a_status_change_with_422(
    authenticated_client: httpx.AsyncClient,
) -> None:
    project = await _create(authenticated_client)

    response = await authenticated_client.patch(
        f"/projects/{project['id']}", json={"status": "COMPLETED"}
    )

    body = APITestUtils.assert_validation_error(response, "body.status")
    assert body["error"]["code"] == "validation_error"


async def test_a_project_walks_the_whole_status_workflow(
    authenticated_client: httpx.AsyncClient,
) -> None:
    project = await _create(authenticated_client)
    url = f"/projects/{project['id']}/status"

    seen = []
    for status in ("ACTIVE", "IN_PROGRESS", "COMPLETED"):
        response = await authenticated_client.post(url, json={"status": status})
        assert response.status_code == 200, response.text
        seen.append(response.json()["status"])

    assert seen == ["ACTIVE", "IN_PROGRESS", "COMPLETED"]


async def test_an_invalid_transition_is_409_and_leaves_the_status_alone(
    authenticated_client: httpx.AsyncClient,
) -> None:
    project = await _create(authenticated_client)

    response = await authenticated_client.post(
        f"/projects/{project['id']}/status", json={"status": "COMPLETED"}
    )

    body = APITestUtils.assert_error_response(response, 409, "invalid_status_transition")
    assert "DRAFT" in body["error"]["message"]
    current = await authenticated_client.get(f"/projects/{project['id']}")
    assert current.json()["status"] == "DRAFT"


async def test_a_completed_project_can_no_longer_be_edited(
    authenticated_client: httpx.AsyncClient, db_session: AsyncSession, user: User
) -> None:
    project = await create_project(db_session, user, status=ProjectStatus.COMPLETED)

    edit = await authenticated_client.patch(f"/projects/{project.id}", json={"name": "x"})
    attach = await authenticated_client.post(f"/projects/{project.id}/predicates", json=PREDICATE)
    back = await authenticated_client.post(
        f"/projects/{project.id}/status", json={"status": "ACTIVE"}
    )

    assert (edit.status_code, edit.json()["error"]["code"]) == (409, "project_completed")
    assert (attach.status_code, attach.json()["error"]["code"]) == (409, "project_completed")
    assert (back.status_code, back.json()["error"]["code"]) == (409, "invalid_status_transition")


async def test_deleting_a_project_removes_it_and_its_predicates(
    authenticated_client: httpx.AsyncClient,
    db_session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    user: User,
) -> None:
    project = await create_project(db_session, user)
    await create_predicate(db_session, project)

    response = await authenticated_client.delete(f"/projects/{project.id}")

    assert response.status_code == 204
    assert response.content == b""
    gone = await authenticated_client.get(f"/projects/{project.id}")
    assert gone.status_code == 404
    async with session_factory() as fresh:
        assert await fresh.scalar(select(func.count()).select_from(PredicateDevice)) == 0


@pytest.mark.parametrize(
    "payload",
    [{}, {"name": ""}, {"name": "x" * 201}, {"name": "ok", "unknown": 1}],
)
async def test_invalid_project_payloads_get_a_validation_error_envelope(
    authenticated_client: httpx.AsyncClient, payload: dict[str, Any]
) -> None:
    response = await authenticated_client.post("/projects", json=payload)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]


async def test_a_missing_project_is_404_in_the_error_envelope(
    authenticated_client: httpx.AsyncClient,
) -> None:
    response = await authenticated_client.get("/projects/424242")

    body = APITestUtils.assert_error_response(response, 404, "not_found")
    assert body["error"]["message"] == "project 424242 not found"


async def test_a_predicate_is_attached_normalised_and_listed_on_the_project(
    authenticated_client: httpx.AsyncClient,
) -> None:
    project = await _create(authenticated_client)

    response = await authenticated_client.post(
        f"/projects/{project['id']}/predicates", json=PREDICATE
    )

    assert response.status_code == 201, response.text
    predicate = response.json()
    assert (predicate["k_number"], predicate["product_code"]) == ("K213456", "DQY")
    assert predicate["project_id"] == project["id"]
    detail = await authenticated_client.get(f"/projects/{project['id']}")
    assert [p["k_number"] for p in detail.json()["predicates"]] == ["K213456"]


async def test_attaching_the_same_predicate_twice_is_409(
    authenticated_client: httpx.AsyncClient,
) -> None:
    project = await _create(authenticated_client)
    url = f"/projects/{project['id']}/predicates"
    await authenticated_client.post(url, json=PREDICATE)

    response = await authenticated_client.post(url, json=PREDICATE)

    APITestUtils.assert_error_response(response, 409, "conflict")
    detail = await authenticated_client.get(f"/projects/{project['id']}")
    assert len(detail.json()["predicates"]) == 1
