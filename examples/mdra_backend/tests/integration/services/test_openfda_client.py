"""OpenFDAClient against the library's openFDA mock (respx at the HTTP layer): query syntax,
paging, "No matches found" 404s, retries with backoff on 429/5xx, timeouts."""

from __future__ import annotations

import httpx
import pytest
from testing_lib.mocks import OpenFDAMock
from testing_lib.mocks.openfda_data import DEVICE_TYPES, clearance_record, error_payload

from mdra.config import Settings
from mdra.services.openfda import OpenFDAClient, OpenFDAError
from tests.conftest import RecordingSleep

DQY = next(d for d in DEVICE_TYPES if d.product_code == "DQY")


async def test_search_sends_openfda_query_syntax_paging_and_api_key(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    await openfda_client.search_predicates("dqy", "percutaneous", limit=5, skip=1)

    params = mock_openfda_service.calls("510k")[-1].url.params
    assert params["search"] == 'product_code:"DQY" AND device_name:"percutaneous"'
    assert (params["limit"], params["skip"]) == ("5", "1")
    assert params["api_key"] == "test-fda-key"


async def test_api_key_is_left_out_when_none_is_configured(
    mock_openfda_service: OpenFDAMock, fda_base_url: str
) -> None:
    async with OpenFDAClient(base_url=fda_base_url, api_key=None) as client:
        await client.search_predicates("DQY")

    assert "api_key" not in mock_openfda_service.last_request.url.params


async def test_results_and_meta_are_returned_as_typed_models(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    result = await openfda_client.search_predicates("DQY", limit=2)

    dqy = [r for r in mock_openfda_service.clearances if r["product_code"] == "DQY"]
    assert [r.k_number for r in result.results] == [r["k_number"] for r in dqy[:2]]
    assert (result.meta.total, result.meta.limit) == (len(dqy), 2)
    assert result.results[0].decision_date is not None


async def test_device_name_search_matches_the_phrase_in_any_product_code(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    result = await openfda_client.search_predicates(device_name="infusion", limit=100)

    assert result.results
    assert {r.product_code for r in result.results} == {"FRN"}


async def test_openfda_404_no_matches_is_an_empty_result(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock, fda_sleep: RecordingSleep
) -> None:
    result = await openfda_client.search_predicates("ZZZ", limit=7, skip=3)

    assert result.results == []
    assert (result.meta.total, result.meta.limit, result.meta.skip) == (0, 7, 3)
    assert mock_openfda_service.call_count("510k") == 1
    assert fda_sleep.delays == []


async def test_a_404_that_is_not_no_matches_is_an_error(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    mock_openfda_service.respond_next(404, text="<html>gone</html>")

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert excinfo.value.status_code == 404


async def test_rate_limiting_is_retried_with_backoff_then_succeeds(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock, fda_sleep: RecordingSleep
) -> None:
    mock_openfda_service.rate_limit_next(times=2)

    result = await openfda_client.search_predicates("DQY", limit=2)

    assert len(result.results) == 2
    assert mock_openfda_service.call_count("510k") == 3
    assert fda_sleep.delays == [0.25, 0.5]


async def test_server_errors_exhaust_the_retries_and_raise_a_typed_error(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock, fda_sleep: RecordingSleep
) -> None:
    mock_openfda_service.fail_next(503, times=3)

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert mock_openfda_service.call_count("510k") == 3
    assert excinfo.value.status_code == 503
    assert excinfo.value.attempts == 3
    assert fda_sleep.delays == [0.25, 0.5]  # no sleep after the last attempt


async def test_retry_after_from_openfda_is_honoured(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock, fda_sleep: RecordingSleep
) -> None:
    mock_openfda_service.rate_limit_next(retry_after=2)

    await openfda_client.search_predicates("DQY")

    assert fda_sleep.delays == [2.0]


async def test_client_errors_are_not_retried(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    mock_openfda_service.respond_next(
        400, json=error_payload("BAD_REQUEST", "Syntax error in search")
    )

    with pytest.raises(OpenFDAError, match="Syntax error in search") as excinfo:
        await openfda_client.search_predicates("DQY")

    assert mock_openfda_service.call_count("510k") == 1
    assert excinfo.value.code == "BAD_REQUEST"


async def test_timeouts_are_retried_then_reported_as_timeout(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    mock_openfda_service.timeout_next(times=3)

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert mock_openfda_service.call_count("510k") == 3
    assert excinfo.value.code == "TIMEOUT"
    assert isinstance(excinfo.value.__cause__, httpx.TimeoutException)


async def test_a_timeout_followed_by_success_recovers(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    mock_openfda_service.timeout_next(kind=httpx.ConnectTimeout)

    result = await openfda_client.search_predicates("DQY")

    assert len(result.results) == 10  # mdra asks for 10 by default
    assert mock_openfda_service.call_count("510k") == 2


async def test_connection_failures_are_reported_as_unreachable(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    mock_openfda_service.raise_next(httpx.ConnectError, times=3)

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert excinfo.value.code == "UNREACHABLE"


async def test_a_non_json_success_is_an_invalid_response_error(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    mock_openfda_service.respond_next(200, text="<html>maintenance</html>")

    with pytest.raises(OpenFDAError) as excinfo:
        await openfda_client.search_predicates("DQY")

    assert excinfo.value.code == "INVALID_RESPONSE"


async def test_pagination_walks_every_page_with_advancing_skip(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    records = [clearance_record(f"K2{n:05d}", DQY) for n in range(5)]
    mock_openfda_service.use_clearances(records)

    found = [r.k_number async for r in openfda_client.iter_predicates("DQY", page_size=2)]

    assert found == [r["k_number"] for r in records]
    skips = [c.url.params["skip"] for c in mock_openfda_service.calls("510k")]
    assert skips == ["0", "2", "4"]


async def test_pagination_stops_at_max_records(
    openfda_client: OpenFDAClient, mock_openfda_service: OpenFDAMock
) -> None:
    found = [r async for r in openfda_client.iter_predicates("DQY", page_size=3, max_records=2)]

    assert len(found) == 2
    assert mock_openfda_service.call_count("510k") == 1


async def test_client_from_settings_uses_the_configured_timeout_url_and_retries(
    settings: Settings,
) -> None:
    async with OpenFDAClient.from_settings(settings, max_attempts=5) as client:
        assert client.base_url == settings.fda_base_url
        assert client.api_key == settings.fda_api_key
        assert client.max_attempts == 5
        assert client._http.timeout.read == settings.fda_timeout_s
