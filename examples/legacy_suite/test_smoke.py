"""Smoke test of the whole stack, written on day one and never moved."""

import pytest
from app.api import handle
from app.auth import issue_token
from app.storage import ProjectStore, connect
from tests.helpers import NOW, SECRET


@pytest.fixture
def store():
    connection = connect()
    yield ProjectStore(connection)
    connection.close()


def test_health_endpoint_answers_without_a_token(store):
    assert handle(store, "GET", "/health", secret=SECRET, now=NOW) == (200, {"status": "ok"})


def test_create_then_read_a_project_through_the_api(store):
    token = issue_token("ada", SECRET, now=NOW)
    status, created = handle(
        store, "POST", "/projects", body={"name": "Catheter"}, token=token, secret=SECRET, now=NOW
    )
    assert status == 201
    path = f"/projects/{created['id']}"
    status, read = handle(store, "GET", path, token=token, secret=SECRET, now=NOW)
    assert (status, read["name"]) == (200, "Catheter")
