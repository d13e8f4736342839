"""The search cache's namespace (planted: module configuration changed and never restored).

``mdra.api.predicates.SEARCH_CACHE_NAMESPACE`` is configuration that lives in a module: every
cached openFDA search is stored under it, and operations tooling clears search results by
that prefix. ``test_bumping_the_namespace_invalidates_cached_searches`` simulates a deploy
that bumps it by assigning the module attribute, and leaves it bumped.

(The app's ``Settings`` cannot leak this way in this suite: the conftest's autouse
``settings`` fixture re-reads them from the environment around every test.)

- victim: ``test_searches_are_cached_under_the_documented_namespace`` passes alone and in this
  file's order, and fails after the bumping test: the route now caches under
  ``openfda:510k:search:v2`` and nothing is found under the documented key.

Fix: ``monkeypatch.setattr(predicates, "SEARCH_CACHE_NAMESPACE", ...)``, which pytest undoes
after the test.
"""

from __future__ import annotations

import httpx
from testing_lib.mocks import OpenFDAMock

from mdra.api import predicates
from mdra.services.cache import RedisCache, cache_key

SEARCH = "/predicates/search"
DOCUMENTED_NAMESPACE = "openfda:510k:search"
PARAMS = {"product_code": "DQY", "limit": 3}


async def test_searches_are_cached_under_the_documented_namespace(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock, cache: RedisCache
) -> None:
    response = await authenticated_client.get(SEARCH, params=PARAMS)

    assert response.headers["X-Cache"] == "MISS"
    key = cache_key(DOCUMENTED_NAMESPACE, {"product_code": "DQY", "limit": 3, "skip": 0})
    assert await cache.get_json(key) == response.json()


async def test_bumping_the_namespace_invalidates_cached_searches(
    authenticated_client: httpx.AsyncClient, mock_openfda_service: OpenFDAMock
) -> None:
    assert (await authenticated_client.get(SEARCH, params=PARAMS)).headers["X-Cache"] == "MISS"
    assert (await authenticated_client.get(SEARCH, params=PARAMS)).headers["X-Cache"] == "HIT"

    # Planted: a deploy bumps the namespace; the test assigns it and never puts it back.
    predicates.SEARCH_CACHE_NAMESPACE = f"{DOCUMENTED_NAMESPACE}:v2"

    assert (await authenticated_client.get(SEARCH, params=PARAMS)).headers["X-Cache"] == "MISS"
    assert mock_openfda_service.call_count("510k") == 2
