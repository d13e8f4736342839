"""The openFDA mock as an openFDA client sees it, the fakes of the factory, the network guards."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from testing_lib.mocks import (
    MockServiceFactory,
    OpenFDAMock,
    SearchSyntaxError,
    UnmockedRequestError,
    parse_search,
)
from testing_lib.mocks.openfda_data import DEVICE_TYPES, clearance_record
from testing_lib.runner.target_plugins import remediation_network

BASE = "https://api.fda.gov"
SEARCH = f"{BASE}/device/510k.json"


@pytest.fixture
def fda() -> AsyncIterator[OpenFDAMock]:
    with OpenFDAMock() as mock:
        yield mock  # type: ignore[misc]


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def _search(**params: object) -> dict[str, object]:
    return dict(params)


@pytest.mark.asyncio
async def test_a_product_code_search_answers_meta_and_results_like_openfda(
    fda: OpenFDAMock, http: httpx.AsyncClient
) -> None:
    response = await http.get(SEARCH, params={"search": 'product_code:"DQY"', "limit": 3})

    body = response.json()
    dqy = [r for r in fda.clearances if r["product_code"] == "DQY"]
    assert response.status_code == 200
    assert body["meta"]["results"] == {"skip": 0, "limit": 3, "total": len(dqy)}
    assert body["meta"]["last_updated"]
    assert [r["k_number"] for r in body["results"]] == [r["k_number"] for r in dqy[:3]]
    assert {"openfda", "decision_date", "applicant"} <= body["results"][0].keys()


@pytest.mark.asyncio
async def test_without_limit_openfda_answers_one_record(
    fda: OpenFDAMock, http: httpx.AsyncClient
) -> None:
    body = (await http.get(SEARCH)).json()

    assert len(body["results"]) == 1
    assert body["meta"]["results"]["total"] == len(fda.clearances)


@pytest.mark.asyncio
async def test_device_names_match_as_phrases_and_terms_combine_with_and(
    fda: OpenFDAMock, http: httpx.AsyncClient
) -> None:
    phrase = await http.get(
        SEARCH, params={"search": 'device_name:"image processing"', "limit": 100}
    )
    both = await http.get(
        SEARCH,
        params={"search": 'product_code:"LLZ"+AND+device_name:"radiological"', "limit": 100},
    )
    wrong_order = await http.get(SEARCH, params={"search": 'device_name:"processing image"'})

    assert {r["product_code"] for r in phrase.json()["results"]} == {"LLZ"}
    assert {r["product_code"] for r in both.json()["results"]} == {"LLZ"}
    assert wrong_order.status_code == 404


@pytest.mark.asyncio
async def test_date_ranges_filter_decisions(fda: OpenFDAMock, http: httpx.AsyncClient) -> None:
    response = await http.get(
        SEARCH, params={"search": "decision_date:[20200101 TO 20201231]", "limit": 1000}
    )

    dates = {r["decision_date"][:4] for r in response.json()["results"]}
    assert dates == {"2020"}


@pytest.mark.asyncio
async def test_skip_and_limit_page_through_the_matches(
    fda: OpenFDAMock, http: httpx.AsyncClient
) -> None:
    fda.use_clearances([clearance_record(f"K30000{n}", DEVICE_TYPES[0]) for n in range(5)])
    pages = [
        (await http.get(SEARCH, params={"limit": 2, "skip": skip})).json()["results"]
        for skip in (0, 2, 4)
    ]
    past_the_end = await http.get(SEARCH, params={"limit": 2, "skip": 6})

    assert [[r["k_number"] for r in page] for page in pages] == [
        ["K300000", "K300001"],
        ["K300002", "K300003"],
        ["K300004"],
    ]
    assert past_the_end.status_code == 404


@pytest.mark.asyncio
async def test_no_matches_is_openfdas_404_not_found(
    fda: OpenFDAMock, http: httpx.AsyncClient
) -> None:
    response = await http.get(SEARCH, params={"search": 'product_code:"ZZZ"'})

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 1001}, "Limit cannot exceed 1000"),
        ({"skip": 25001}, "Skip value must 25000 or less"),
        ({"limit": "ten"}, "must be integers"),
        ({"search": 'device_name:"unterminated'}, "Syntax error in search"),
    ],
)
async def test_requests_openfda_refuses_get_its_400(
    fda: OpenFDAMock, http: httpx.AsyncClient, params: dict[str, object], message: str
) -> None:
    response = await http.get(SEARCH, params=params)  # type: ignore[arg-type]

    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


@pytest.mark.asyncio
async def test_scripted_failures_are_used_up_in_order_then_data_answers(
    fda: OpenFDAMock, http: httpx.AsyncClient
) -> None:
    fda.rate_limit_next(retry_after=3)
    fda.fail_next(503)
    fda.timeout_next()

    limited = await http.get(SEARCH)
    unavailable = await http.get(SEARCH)
    with pytest.raises(httpx.ReadTimeout, match="scripted"):
        await http.get(SEARCH)
    recovered = await http.get(SEARCH)

    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    assert limited.json()["error"]["code"] == "OVER_RATE_LIMIT"
    assert unavailable.status_code == 503
    assert recovered.status_code == 200
    assert fda.call_count("510k") == 4
    assert fda.pending_scripts() == 0


@pytest.mark.asyncio
async def test_call_counts_are_kept_per_endpoint(fda: OpenFDAMock, http: httpx.AsyncClient) -> None:
    await http.get(SEARCH)
    classification = await http.get(
        fda.url("classification"), params={"search": 'product_code:"FRN"'}
    )

    assert classification.json()["results"][0]["device_name"] == "Pump, Infusion"
    assert (fda.call_count("510k"), fda.call_count("classification"), fda.call_count()) == (1, 1, 2)
    assert fda.calls("classification")[0].url.params["search"] == 'product_code:"FRN"'


@pytest.mark.asyncio
async def test_anything_the_mock_does_not_serve_fails_naming_the_url(
    fda: OpenFDAMock, http: httpx.AsyncClient
) -> None:
    with pytest.raises(UnmockedRequestError, match=r"GET https://api.fda.gov/drug/event.json"):
        await http.get(f"{BASE}/drug/event.json")
    with pytest.raises(UnmockedRequestError, match=r"https://example.org/"):
        await http.get("https://example.org/")


def test_search_expressions_parse_into_terms() -> None:
    terms = parse_search('product_code:"DQY" AND decision_date:[2020-01-01 TO 20201231]')

    assert terms[0].field == "product_code"
    assert terms[0].value == "DQY"
    assert (terms[1].low, terms[1].high) == ("20200101", "20201231")
    with pytest.raises(SearchSyntaxError, match="LOW TO HIGH"):
        parse_search("decision_date:[2020]")


@pytest.mark.asyncio
async def test_each_fake_redis_is_empty_and_private() -> None:
    factory = MockServiceFactory()
    first, second = factory.create_mock_redis_client(), factory.create_mock_redis_client()

    await first.set("k", "v")

    assert await first.get("k") == "v"
    assert await second.get("k") is None
    await first.aclose()
    await second.aclose()


def test_the_factory_stops_the_mocks_it_started() -> None:
    factory = MockServiceFactory()
    mock = factory.create_mock_openfda_service()
    assert httpx.get(SEARCH).status_code == 200

    factory.close()

    assert mock.call_count() == 1
    assert not mock._started


def test_the_injected_guard_refuses_dns_and_connects_before_they_happen(tmp_path: Path) -> None:
    record = tmp_path / "network.jsonl"
    remediation_network.install(str(record))
    try:
        with pytest.raises(remediation_network.NetworkBlockedError, match="api.fda.gov:443"):
            socket.getaddrinfo("api.fda.gov", 443)
        with socket.socket() as sock, pytest.raises(remediation_network.NetworkBlockedError):
            sock.connect(("192.0.2.10", 80))  # TEST-NET-1: would be a real connect
        socket.getaddrinfo("localhost", 80)  # loopback stays open
    finally:
        remediation_network.uninstall()

    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(r["host"], r["port"], r["how"]) for r in lines] == [
        ("api.fda.gov", 443, "DNS look-up of"),
        ("192.0.2.10", 80, "connection to"),
    ]
    assert socket.getaddrinfo is not remediation_network._getaddrinfo  # uninstalled
