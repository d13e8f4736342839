"""Application factory: routers, lifespan-managed resources and uniform JSON errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mdra import __version__
from mdra.api import auth, health, predicates, projects
from mdra.config import get_settings
from mdra.database import dispose_engine
from mdra.dependencies import get_cache, get_openfda_client
from mdra.errors import MDRAError
from mdra.services.cache import Cache, InMemoryCache, RedisCache
from mdra.services.openfda import OpenFDAClient, OpenFDAError

logger = logging.getLogger(__name__)

__all__ = ["app", "create_app", "get_cache", "get_openfda_client"]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def build_cache() -> Cache:
    settings = get_settings()
    if settings.redis_enabled:
        return RedisCache.from_url(settings.redis_url, default_ttl_s=settings.cache_ttl_s)
    return InMemoryCache(default_ttl_s=settings.cache_ttl_s)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()  # fails fast (e.g. JWT_SECRET missing) before serving anything
    openfda = OpenFDAClient.from_settings(settings)
    cache = build_cache()
    app.state.openfda = openfda
    app.state.cache = cache
    try:
        yield
    finally:
        await openfda.aclose()
        await cache.aclose()
        await dispose_engine()


async def _mdra_error(_request: Request, exc: MDRAError) -> JSONResponse:
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status_code)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    details = jsonable_encoder(exc.errors(), custom_encoder={Exception: str})
    return JSONResponse(
        error_body("validation_error", "request validation failed", details=details),
        status_code=422,
    )


async def _openfda_error(_request: Request, exc: OpenFDAError) -> JSONResponse:
    logger.warning("openFDA failure: %s", exc.message)
    if exc.code == "TIMEOUT":
        return JSONResponse(
            error_body("upstream_timeout", "openFDA did not answer in time"), status_code=504
        )
    return JSONResponse(
        error_body("upstream_error", f"openFDA is unavailable: {exc.message}"), status_code=502
    )


def create_app() -> FastAPI:
    """A new application; settings are read when it starts (lifespan), not here."""
    app = FastAPI(
        title="MDRA backend",
        version=__version__,
        description="Medical Device Regulatory Assistant: projects and FDA 510(k) predicates.",
        lifespan=lifespan,
    )
    app.add_exception_handler(MDRAError, _mdra_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OpenFDAError, _openfda_error)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(projects.router)
    app.include_router(predicates.router)
    return app


app = create_app()
