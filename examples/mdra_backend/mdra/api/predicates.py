from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from mdra.api.projects import Service
from mdra.config import get_settings
from mdra.dependencies import get_cache, get_openfda_client
from mdra.errors import MDRAError
from mdra.models import PredicateDevice
from mdra.schemas import PredicateCreate, PredicateRead, PredicateSearchResponse
from mdra.security import CurrentUser
from mdra.services.cache import Cache, cache_key, get_or_load
from mdra.services.openfda import MAX_SKIP, OpenFDAClient

router = APIRouter(tags=["predicates"])
SEARCH_CACHE_NAMESPACE = "openfda:510k:search"


class MissingSearchTermError(MDRAError):
    status_code = 422
    code = "validation_error"


@router.get("/predicates/search", response_model=PredicateSearchResponse)
async def search_predicates(
    user: CurrentUser,
    response: Response,
    client: Annotated[OpenFDAClient, Depends(get_openfda_client)],
    cache: Annotated[Cache, Depends(get_cache)],
    product_code: Annotated[
        str | None, Query(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    ] = None,
    device_name: Annotated[str | None, Query(min_length=2, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP)] = 0,
) -> dict[str, Any]:
    """510(k) clearances from openFDA, cached; ``X-Cache: HIT|MISS`` tells which."""
    if not product_code and not device_name:
        raise MissingSearchTermError("give product_code or device_name")
    product_code = product_code.upper() if product_code else None
    params = {
        "product_code": product_code,
        "device_name": device_name.strip().lower() if device_name else None,
        "limit": limit,
        "skip": skip,
    }

    async def load() -> dict[str, Any]:
        result = await client.search_predicates(product_code, device_name, limit=limit, skip=skip)
        return PredicateSearchResponse(
            total=result.meta.total, skip=skip, limit=limit, results=result.results
        ).model_dump(mode="json")

    payload, hit = await get_or_load(
        cache, cache_key(SEARCH_CACHE_NAMESPACE, params), load, ttl_s=get_settings().cache_ttl_s
    )
    response.headers["X-Cache"] = "HIT" if hit else "MISS"
    return dict(payload)


@router.post(
    "/projects/{project_id}/predicates",
    response_model=PredicateRead,
    status_code=status.HTTP_201_CREATED,
)
async def attach_predicate(
    project_id: int, data: PredicateCreate, user: CurrentUser, service: Service
) -> PredicateDevice:
    return await service.attach_predicate(project_id, user, data)
