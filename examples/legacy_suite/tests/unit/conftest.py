"""Fixtures for the unit folder (written when everything lived here)."""

import pytest
from app.storage import ProjectStore, connect

SECRET = "legacy-secret-that-is-long-enough-for-hmac"


@pytest.fixture
def db():
    connection = connect()
    yield connection
    connection.close()


@pytest.fixture
def store(db):
    return ProjectStore(db)


@pytest.fixture
def client(store):
    from app.api import handle

    def call(method, path, **kwargs):
        return handle(store, method, path, secret=SECRET, now=1_700_000_000.0, **kwargs)

    return call
