"""openFDA query building, payload parsing and backoff arithmetic: no HTTP at all."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from mdra.services.openfda import (
    MAX_RETRY_AFTER_S,
    OpenFDAClient,
    PredicateRecord,
    PredicateSearchResult,
    build_search_query,
)
from tests.fixtures.openfda_payloads import fda_record, fda_search_payload


def test_product_code_query_uses_openfda_phrase_syntax_in_upper_case() -> None:
    assert build_search_query(product_code=" dqy ") == 'product_code:"DQY"'


def test_terms_are_combined_with_and() -> None:
    query = build_search_query(product_code="DQY", device_name="balloon   catheter")

    assert query == 'product_code:"DQY" AND device_name:"balloon catheter"'


def test_quotes_inside_a_device_name_cannot_break_out_of_the_phrase() -> None:
    query = build_search_query(device_name='stent" OR product_code:"XYZ')

    assert query.count('"') == 2
    assert query.startswith('device_name:"stent OR')


@pytest.mark.parametrize(("product_code", "device_name"), [(None, None), ("", " "), ("  ", None)])
def test_a_query_needs_at_least_one_term(product_code: str | None, device_name: str | None) -> None:
    with pytest.raises(ValueError, match="product_code or device_name"):
        build_search_query(product_code, device_name)


def test_payload_meta_and_results_are_parsed_into_typed_records() -> None:
    payload = fda_search_payload(
        [fda_record(k_number="K190001", decision_date="2019-03-15")], skip=20, limit=1, total=57
    )

    result = PredicateSearchResult.from_payload(payload)

    assert (result.meta.skip, result.meta.limit, result.meta.total) == (20, 1, 57)
    assert result.meta.last_updated == "2024-05-31"
    (record,) = result.results
    assert record.k_number == "K190001"
    assert record.decision_date == date(2019, 3, 15)
    assert record.applicant == "Acme Cardiovascular, Inc."
    assert record.decision_description == "Substantially Equivalent"


def test_compact_yyyymmdd_decision_dates_are_understood() -> None:
    record = PredicateRecord.model_validate(fda_record(decision_date="20190315"))

    assert record.decision_date == date(2019, 3, 15)


def test_empty_or_missing_decision_date_becomes_none() -> None:
    assert PredicateRecord.model_validate(fda_record(decision_date="")).decision_date is None
    raw = fda_record()
    del raw["decision_date"]
    assert PredicateRecord.model_validate(raw).decision_date is None


def test_unknown_openfda_fields_are_dropped() -> None:
    record = PredicateRecord.model_validate(fda_record(brand_new_field="x"))

    dumped = record.model_dump()
    assert "brand_new_field" not in dumped
    assert "openfda" not in dumped


def test_payload_without_meta_parses_as_empty_page() -> None:
    result = PredicateSearchResult.from_payload({})

    assert result.results == []
    assert result.meta.total == 0


async def test_backoff_doubles_after_each_failed_attempt() -> None:
    async with OpenFDAClient(backoff_base_s=0.5) as client:
        assert [client.backoff_delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]


async def test_retry_after_header_overrides_backoff_and_is_capped() -> None:
    async with OpenFDAClient(backoff_base_s=0.5) as client:
        polite = httpx.Response(429, headers={"Retry-After": "3"})
        greedy = httpx.Response(429, headers={"Retry-After": "86400"})
        dated = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})

        assert client.backoff_delay(1, polite) == 3.0
        assert client.backoff_delay(1, greedy) == MAX_RETRY_AFTER_S
        assert client.backoff_delay(2, dated) == 1.0


@pytest.mark.parametrize(("limit", "skip"), [(0, 0), (1001, 0), (10, -1), (10, 25001)])
async def test_out_of_range_paging_is_refused_before_any_request(limit: int, skip: int) -> None:
    async with OpenFDAClient() as client:
        with pytest.raises(ValueError, match="limit|skip"):
            await client.search_predicates("DQY", limit=limit, skip=skip)


def test_max_attempts_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        OpenFDAClient(max_attempts=0)
