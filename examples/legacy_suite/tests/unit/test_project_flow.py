"""A project's whole flow: created over the API, stored in SQLite, submitted, listed."""

import sqlite3

from app.auth import issue_token

SECRET = "legacy-secret-that-is-long-enough-for-hmac"


def _token():
    return issue_token("ada", SECRET, now=1_700_000_000.0)


def test_a_created_project_is_stored_in_the_database(client, db):
    status, body = client("POST", "/projects", body={"name": "Stent"}, token=_token())
    assert status == 201
    rows = db.execute("select name, status from projects").fetchall()
    assert rows == [("Stent", "draft")]
    assert isinstance(db, sqlite3.Connection)


def test_only_active_projects_can_be_submitted(client, db):
    _, body = client("POST", "/projects", body={"name": "Stent"}, token=_token())
    status, _ = client("POST", f"/projects/{body['id']}/submit", token=_token())
    assert status == 409
    db.execute("update projects set status = 'active' where id = ?", (body["id"],))
    status, submitted = client("POST", f"/projects/{body['id']}/submit", token=_token())
    assert (status, submitted["status"]) == (200, "submitted")


def test_listing_shows_only_my_projects(client):
    client("POST", "/projects", body={"name": "Mine"}, token=_token())
    other = issue_token("bob", SECRET, now=1_700_000_000.0)
    client("POST", "/projects", body={"name": "Theirs"}, token=other)
    status, listed = client("GET", "/projects", token=_token())
    assert (status, len(listed["items"])) == (200, 1)
