"""GET /predicates/search end to end: app -> OpenFDAClient -> openFDA mock (respx) -> RedisCache
(fakeredis). The app's real retry code runs against scripted 429s, 5xx and timeouts."""

from __future__ import annotations

import httpx
import pytest
from testing_lib.http import APITestUtils
from testing_lib.mocks import NetworkGuard, OpenFDAMock, UnmockedRequestError, expect_refusals

from tests.conftest import RecordingSleep

SEARCH = "/predicates/search"


async def test_search_returns_openfda_results_and_caches_them(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    params = {"product_code": "DQY", "limit": 3}

    first = await authenticated_client.get(SEARCH, params=params)
    second = await authenticated_client.get(SEARCH, params=params)

    body = APITestUtils.assert_success_response(first)
    assert first.headers["X-Cache"] == "MISS"
    assert second.headers["X-Cache"] == "HIT"
    assert second.json() == body
    dqy = [r for r in mock_openfda_service.clearances if r["product_code"] == "DQY"]
    assert (body["total"], body["limit"], body["skip"]) == (len(dqy), 3, 0)
    assert [r["k_number"] for r in body["results"]] == [r["k_number"] for r in dqy[:3]]
    assert body["results"][0]["decision_date"] == dqy[0]["decision_date"]
    assert mock_openfda_service.call_count("510k") == 1


async def test_pages_come_from_skip_and_limit(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    pages = [
        APITestUtils.assert_success_response(
            await authenticated_client.get(
                SEARCH, params={"product_code": "LLZ", "limit": 5, "skip": skip}
            )
        )
        for skip in (0, 5, 10)
    ]

    numbers = [r["k_number"] for page in pages for r in page["results"]]
    llz = [r["k_number"] for r in mock_openfda_service.clearances if r["product_code"] == "LLZ"]
    assert numbers == llz
    assert [len(page["results"]) for page in pages] == [5, 5, len(llz) - 10]


async def test_different_parameters_are_cached_separately(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    for skip in (0, 10, 0):
        await authenticated_client.get(SEARCH, params={"product_code": "DQY", "skip": skip})

    assert mock_openfda_service.call_count("510k") == 2


async def test_lowercase_product_codes_are_searched_in_upper_case(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    response = await authenticated_client.get(SEARCH, params={"product_code": "dqy"})

    APITestUtils.assert_success_response(response)
    assert mock_openfda_service.last_request.url.params["search"] == 'product_code:"DQY"'


async def test_a_search_by_device_name_finds_that_device(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    response = await authenticated_client.get(
        SEARCH, params={"device_name": "blood-pressure", "limit": 50}
    )

    body = APITestUtils.assert_success_response(response)
    assert body["results"]
    assert {r["product_code"] for r in body["results"]} == {"DXN"}


async def test_a_search_without_any_term_is_422(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    response = await authenticated_client.get(SEARCH)

    APITestUtils.assert_error_response(response, 422, "validation_error")
    assert mock_openfda_service.call_count() == 0


async def test_no_matches_is_an_empty_list_not_an_error(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    response = await authenticated_client.get(SEARCH, params={"device_name": "unobtainium"})

    body = APITestUtils.assert_success_response(response)
    assert (body["results"], body["total"]) == ([], 0)


async def test_rate_limiting_is_retried_by_the_app_with_backoff(
    authenticated_client: httpx.AsyncClient,
    mock_openfda_service: OpenFDAMock,
    fda_sleep: RecordingSleep,
) -> None:
    mock_openfda_service.rate_limit_next(times=2)

    response = await authenticated_client.get(SEARCH, params={"product_code": "FRN"})

    APITestUtils.assert_success_response(response)
    assert mock_openfda_service.call_count("510k") == 3
    assert fda_sleep.delays == [0.25, 0.5]


async def test_a_server_error_then_success_is_invisible_to_the_caller(
    authenticated_client: httpx.AsyncClient,
    mock_openfda_service: OpenFDAMock,
    fda_sleep: RecordingSleep,
) -> None:
    mock_openfda_service.fail_next(502)

    response = await authenticated_client.get(SEARCH, params={"product_code": "QAS"})

    assert APITestUtils.assert_success_response(response)["results"]
    assert mock_openfda_service.call_count("510k") == 2
    assert fda_sleep.delays == [0.25]


async def test_an_upstream_outage_is_502_and_is_not_cached(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    mock_openfda_service.fail_next(500, times=3)
    params = {"product_code": "DQY"}

    failed = await authenticated_client.get(SEARCH, params=params)
    recovered = await authenticated_client.get(SEARCH, params=params)

    APITestUtils.assert_error_response(failed, 502, "upstream_error")
    APITestUtils.assert_success_response(recovered)
    assert recovered.headers["X-Cache"] == "MISS"
    assert mock_openfda_service.call_count("510k") == 4


async def test_an_upstream_timeout_is_504(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    mock_openfda_service.timeout_next(times=3)

    response = await authenticated_client.get(SEARCH, params={"product_code": "DQY"})

    APITestUtils.assert_error_response(response, 504, "upstream_timeout")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"product_code": "DQ"}, "product_code"),
        ({"product_code": "D1Y"}, "product_code"),
        ({"product_code": "DQY", "limit": 101}, "limit"),
    ],
)
async def test_bad_search_parameters_are_422(
    authenticated_client: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    response = await authenticated_client.get(SEARCH, params=params)

    APITestUtils.assert_validation_error(response, field)


async def test_unmocked_outbound_requests_are_blocked_with_the_url(
    remediation_network_guard: NetworkGuard,
) -> None:
    async with httpx.AsyncClient() as http:
        with (
            expect_refusals(),
            pytest.raises(UnmockedRequestError, match="https://api.fda.gov/device/510k.json"),
        ):
            await http.get("https://api.fda.gov/device/510k.json")

    assert remediation_network_guard.blocked == []  # expected, so it does not fail the test


async def test_requests_the_openfda_mock_does_not_know_are_refused_not_sent(
    mock_openfda_service: OpenFDAMock, fda_base_url: str
) -> None:
    async with httpx.AsyncClient() as http:
        mocked = await http.get(mock_openfda_service.url(), params={"search": "k_number:K190001"})
        with expect_refusals(), pytest.raises(UnmockedRequestError, match="/device/event.json"):
            await http.get(f"{fda_base_url}/device/event.json")

    assert mocked.json()["results"][0]["k_number"] == "K190001"
