from app.cache import TTLCache
from app.predicates import PredicateClient
from tests.helpers import FakeClock
from tests.test_utils import fda_payload, fda_record

from .fakes import FakeFetch


def _client(fetch, clock):
    return PredicateClient(fetch, TTLCache(ttl_s=60, clock=clock))


def test_a_search_asks_openfda_for_the_product_code():
    fetch = FakeFetch(fda_payload(fda_record("K111111")))
    _client(fetch, FakeClock()).search("dqy")
    assert fetch.paths == ['/device/510k.json?search=product_code:"DQY"']


def test_a_repeated_search_is_served_from_the_cache():
    fetch = FakeFetch(fda_payload(fda_record("K111111")))
    client = _client(fetch, FakeClock())
    client.search("dqy")
    client.search("DQY")
    assert len(fetch.paths) == 1


def test_the_cache_expires():
    clock = FakeClock()
    fetch = FakeFetch(fda_payload(fda_record("K111111")))
    client = _client(fetch, clock)
    client.search("dqy")
    clock.advance(61)
    client.search("dqy")
    assert len(fetch.paths) == 2
