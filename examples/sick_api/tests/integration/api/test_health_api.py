from fastapi.testclient import TestClient

from app.main import app


def test_health_is_ok():
    assert TestClient(app).get("/health").json() == {"status": "ok"}


def test_price_route_adds_tax():
    assert TestClient(app).get("/price/100").json() == {"cents": 120}
