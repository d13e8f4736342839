"""Load: repeated searches must not grow the number of openFDA calls."""

import time

from app.cache import TTLCache
from app.predicates import PredicateClient
from tests.helpers import FakeClock
from tests.test_utils import fda_payload, fda_record


def test_a_thousand_searches_call_openfda_once_per_code():
    calls = []

    def fetch(path):
        calls.append(path)
        return fda_payload(fda_record("K111111"), fda_record("K222222"))

    client = PredicateClient(fetch, TTLCache(ttl_s=60, clock=FakeClock()))
    started = time.perf_counter()
    for n in range(1000):
        client.search(["dqy", "lit"][n % 2])
    elapsed = time.perf_counter() - started
    assert len(calls) == 2, f"{len(calls)} openFDA calls in {elapsed:.3f}s"
