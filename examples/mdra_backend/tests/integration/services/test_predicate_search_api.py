"""GET /predicates/search end to end: app -> OpenFDAClient (respx) -> RedisCache (fakeredis)."""

from __future__ import annotations

import httpx
import pytest
import respx
from respx.models import AllMockedAssertionError

from tests.fixtures.network_guard import NetworkGuard, UnmockedRequestError
from tests.fixtures.openfda_payloads import (
    SEARCH_PATH,
    fda_not_found_payload,
    fda_records,
    fda_search_payload,
)

Headers = dict[str, str]


async def test_search_returns_openfda_results_and_caches_them(
    client: httpx.AsyncClient, auth_headers: Headers, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(
        json=fda_search_payload(fda_records(3), limit=3, total=42)
    )
    params = {"product_code": "DQY", "limit": 3}

    first = await client.get("/predicates/search", params=params, headers=auth_headers)
    second = await client.get("/predicates/search", params=params, headers=auth_headers)

    assert first.status_code == 200
    assert first.headers["X-Cache"] == "MISS"
    assert second.headers["X-Cache"] == "HIT"
    assert first.json() == second.json()
    body = first.json()
    assert (body["total"], body["limit"], body["skip"]) == (42, 3, 0)
    assert [r["k_number"] for r in body["results"]] == ["K200000", "K200001", "K200002"]
    assert body["results"][0]["decision_date"] == "2020-01-15"
    assert route.call_count == 1


async def test_different_parameters_are_cached_separately(
    client: httpx.AsyncClient, auth_headers: Headers, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(json=fda_search_payload(fda_records(1)))

    for skip in (0, 10, 0):
        await client.get(
            "/predicates/search", params={"product_code": "DQY", "skip": skip}, headers=auth_headers
        )

    assert route.call_count == 2


async def test_lowercase_product_codes_are_searched_in_upper_case(
    client: httpx.AsyncClient, auth_headers: Headers, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(json=fda_search_payload(fda_records(1)))

    response = await client.get(
        "/predicates/search", params={"product_code": "dqy"}, headers=auth_headers
    )

    assert response.status_code == 200
    assert route.calls.last.request.url.params["search"] == 'product_code:"DQY"'


async def test_a_search_without_any_term_is_422(
    client: httpx.AsyncClient, auth_headers: Headers, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(json=fda_search_payload([]))

    response = await client.get("/predicates/search", headers=auth_headers)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert route.call_count == 0


async def test_no_matches_is_an_empty_list_not_an_error(
    client: httpx.AsyncClient, auth_headers: Headers, fda_mock: respx.MockRouter
) -> None:
    fda_mock.get(SEARCH_PATH).respond(404, json=fda_not_found_payload())

    response = await client.get(
        "/predicates/search", params={"device_name": "unobtainium"}, headers=auth_headers
    )

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response.json()["total"] == 0


async def test_an_upstream_outage_is_502_and_is_not_cached(
    client: httpx.AsyncClient, auth_headers: Headers, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).mock(
        side_effect=[httpx.Response(500)] * 3 + [httpx.Response(200, json=fda_search_payload([]))]
    )
    params = {"product_code": "DQY"}

    failed = await client.get("/predicates/search", params=params, headers=auth_headers)
    recovered = await client.get("/predicates/search", params=params, headers=auth_headers)

    assert failed.status_code == 502
    assert failed.json()["error"]["code"] == "upstream_error"
    assert recovered.status_code == 200
    assert recovered.headers["X-Cache"] == "MISS"
    assert route.call_count == 4


async def test_an_upstream_timeout_is_504(
    client: httpx.AsyncClient, auth_headers: Headers, fda_mock: respx.MockRouter
) -> None:
    fda_mock.get(SEARCH_PATH).mock(side_effect=httpx.ReadTimeout("slow"))

    response = await client.get(
        "/predicates/search", params={"product_code": "DQY"}, headers=auth_headers
    )

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


@pytest.mark.parametrize(
    "params",
    [{"product_code": "DQ"}, {"product_code": "D1Y"}, {"product_code": "DQY", "limit": 101}],
)
async def test_bad_search_parameters_are_422(
    client: httpx.AsyncClient, auth_headers: Headers, params: dict[str, object]
) -> None:
    response = await client.get("/predicates/search", params=params, headers=auth_headers)

    assert response.status_code == 422


async def test_unmocked_outbound_requests_are_blocked_with_the_url(
    network_guard: NetworkGuard,
) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(UnmockedRequestError, match="https://api.fda.gov/device/510k.json"):
            await http.get("https://api.fda.gov/device/510k.json")

    assert network_guard.blocked == ["GET https://api.fda.gov/device/510k.json"]
    network_guard.blocked.clear()  # expected here; any other test would now fail


async def test_requests_the_respx_router_does_not_match_are_refused_not_sent(
    network_guard: NetworkGuard, fda_mock: respx.MockRouter, fda_base_url: str
) -> None:
    fda_mock.get(SEARCH_PATH).respond(json=fda_search_payload([]))

    async with httpx.AsyncClient() as http:
        mocked = await http.get(f"{fda_base_url}{SEARCH_PATH}")
        with pytest.raises(AllMockedAssertionError, match="/device/event.json"):
            await http.get(f"{fda_base_url}/device/event.json")

    assert mocked.status_code == 200
    assert network_guard.blocked == []
