import threading

import httpx
import pytest

from app import openfda


def test_count_from_a_mocked_api(monkeypatch):
    def handler(request):
        return httpx.Response(200, json={"meta": {"results": {"total": 7}}})

    real_client = httpx.Client
    monkeypatch.setattr(
        openfda.httpx,
        "Client",
        lambda **kw: real_client(transport=httpx.MockTransport(handler), **kw),
    )
    assert openfda.device_count("DQY") == 7


# Sickness: a test that calls the real API. Here the host is a reserved name that never
# resolves (RFC 6761), so it fails the way an offline CI machine makes it fail.
def test_count_from_the_real_api(monkeypatch):
    monkeypatch.setenv("OPENFDA_BASE_URL", "https://api.fda.invalid")
    with pytest.raises(ValueError, match="total"):
        openfda.device_count("DQY")


# Sickness: a test that waits for good (only a per-test time limit stops it).
def test_waits_for_a_webhook_that_never_comes():
    threading.Event().wait()
