"""Dependencies on resources the lifespan creates; tests replace them via dependency_overrides."""

from __future__ import annotations

from fastapi import Request

from mdra.services.cache import Cache
from mdra.services.openfda import OpenFDAClient


def get_openfda_client(request: Request) -> OpenFDAClient:
    client: OpenFDAClient = request.app.state.openfda
    return client


def get_cache(request: Request) -> Cache:
    cache: Cache = request.app.state.cache
    return cache
