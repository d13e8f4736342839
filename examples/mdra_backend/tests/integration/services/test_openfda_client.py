"""OpenFDAClient against respx-mocked openFDA: query syntax, paging, 404s, retries, timeouts."""

from __future__ import annotations

import httpx
import pytest
import respx

from mdra.config import Settings
from mdra.services.openfda import OpenFDAClient, OpenFDAError
from tests.conftest import RecordingSleep
from tests.fixtures.openfda_payloads import (
    SEARCH_PATH,
    fda_error_payload,
    fda_not_found_payload,
    fda_record,
    fda_records,
    fda_search_payload,
)


async def test_search_sends_openfda_query_syntax_paging_and_api_key(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(json=fda_search_payload(fda_records(1)))

    await openfda_client.search_predicates("dqy", "balloon catheter", limit=5, skip=10)

    params = route.calls.last.request.url.params
    assert params["search"] == 'product_code:"DQY" AND device_name:"balloon catheter"'
    assert (params["limit"], params["skip"]) == ("5", "10")
    assert params["api_key"] == "test-fda-key"


async def test_api_key_is_left_out_when_none_is_configured(
    fda_mock: respx.MockRouter, fda_base_url: str
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(json=fda_search_payload(fda_records(1)))

    async with OpenFDAClient(base_url=fda_base_url, api_key=None) as client:
        await client.search_predicates("DQY")

    assert "api_key" not in route.calls.last.request.url.params


async def test_results_and_meta_are_returned_as_typed_models(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    records = [fda_record(k_number="K190001"), fda_record(k_number="K190002")]
    fda_mock.get(SEARCH_PATH).respond(json=fda_search_payload(records, skip=0, limit=2, total=140))

    result = await openfda_client.search_predicates("LOX", limit=2)

    assert [r.k_number for r in result.results] == ["K190001", "K190002"]
    assert (result.meta.total, result.meta.limit) == (140, 2)


async def test_openfda_404_no_matches_is_an_empty_result(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter, fda_sleep: RecordingSleep
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(404, json=fda_not_found_payload())

    result = await openfda_client.search_predicates("ZZZ", limit=7, skip=3)

    assert result.results == []
    assert (result.meta.total, result.meta.limit, result.meta.skip) == (0, 7, 3)
    assert route.call_count == 1
    assert fda_sleep.delays == []


async def test_a_404_that_is_not_no_matches_is_an_error(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    fda_mock.get(SEARCH_PATH).respond(404, text="<html>gone</html>")

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert excinfo.value.status_code == 404


async def test_rate_limiting_is_retried_with_backoff_then_succeeds(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter, fda_sleep: RecordingSleep
) -> None:
    route = fda_mock.get(SEARCH_PATH).mock(
        side_effect=[
            httpx.Response(429, json=fda_error_payload("TOO_MANY_REQUESTS", "slow down")),
            httpx.Response(429),
            httpx.Response(200, json=fda_search_payload(fda_records(2))),
        ]
    )

    result = await openfda_client.search_predicates("DQY")

    assert len(result.results) == 2
    assert route.call_count == 3
    assert fda_sleep.delays == [0.25, 0.5]


async def test_server_errors_exhaust_the_retries_and_raise_a_typed_error(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter, fda_sleep: RecordingSleep
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(503)

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert route.call_count == 3
    assert excinfo.value.status_code == 503
    assert excinfo.value.attempts == 3
    assert fda_sleep.delays == [0.25, 0.5]  # no sleep after the last attempt


async def test_retry_after_from_openfda_is_honoured(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter, fda_sleep: RecordingSleep
) -> None:
    fda_mock.get(SEARCH_PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json=fda_search_payload(fda_records(1))),
        ]
    )

    await openfda_client.search_predicates("DQY")

    assert fda_sleep.delays == [2.0]


async def test_client_errors_are_not_retried(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(
        400, json=fda_error_payload("BAD_REQUEST", "Syntax error in search")
    )

    with pytest.raises(OpenFDAError, match="Syntax error in search") as excinfo:
        await openfda_client.search_predicates("DQY")

    assert route.call_count == 1
    assert excinfo.value.code == "BAD_REQUEST"


async def test_timeouts_are_retried_then_reported_as_timeout(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert route.call_count == 3
    assert excinfo.value.code == "TIMEOUT"
    assert isinstance(excinfo.value.__cause__, httpx.TimeoutException)


async def test_a_timeout_followed_by_success_recovers(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    fda_mock.get(SEARCH_PATH).mock(
        side_effect=[
            httpx.ConnectTimeout("slow"),
            httpx.Response(200, json=fda_search_payload(fda_records(1))),
        ]
    )

    result = await openfda_client.search_predicates("DQY")

    assert len(result.results) == 1


async def test_connection_failures_are_reported_as_unreachable(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    fda_mock.get(SEARCH_PATH).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert excinfo.value.code == "UNREACHABLE"


async def test_a_non_json_success_is_an_invalid_response_error(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    fda_mock.get(SEARCH_PATH).respond(200, text="<html>maintenance</html>")

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert excinfo.value.code == "INVALID_RESPONSE"


async def test_pagination_walks_every_page_with_advancing_skip(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    records = fda_records(5)

    def page(request: httpx.Request) -> httpx.Response:
        skip, limit = int(request.url.params["skip"]), int(request.url.params["limit"])
        return httpx.Response(
            200,
            json=fda_search_payload(records[skip : skip + limit], skip=skip, limit=limit, total=5),
        )

    route = fda_mock.get(SEARCH_PATH).mock(side_effect=page)

    found = [r.k_number async for r in openfda_client.iter_predicates("DQY", page_size=2)]

    assert found == [r["k_number"] for r in records]
    assert [c.request.url.params["skip"] for c in route.calls] == ["0", "2", "4"]


async def test_pagination_stops_at_max_records(
    openfda_client: OpenFDAClient, fda_mock: respx.MockRouter
) -> None:
    route = fda_mock.get(SEARCH_PATH).respond(
        json=fda_search_payload(fda_records(3), limit=3, total=300)
    )

    found = [r async for r in openfda_client.iter_predicates("DQY", page_size=3, max_records=2)]

    assert len(found) == 2
    assert route.call_count == 1


async def test_client_from_settings_uses_the_configured_timeout_url_and_retries(
    settings: Settings,
) -> None:
    async with OpenFDAClient.from_settings(settings, max_attempts=5) as client:
        assert client.base_url == settings.fda_base_url
        assert client.api_key == settings.fda_api_key
        assert client.max_attempts == 5
        assert client._http.timeout.read == settings.fda_timeout_s
