# Half of a basename clash: tests/integration/database/test_money.py has the same file name.
from fastapi.testclient import TestClient

from app.main import app


def test_price_route_returns_cents():
    assert TestClient(app).get("/price/250").json() == {"cents": 300}
