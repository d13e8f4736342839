"""openFDA 510(k) client on ``httpx.AsyncClient``, with retries and typed results.

API: ``GET {base}/device/510k.json?search=product_code:"DQY"+AND+device_name:"..."&limit=&skip=``.
openFDA answers a query that matches nothing with HTTP 404 and
``{"error": {"code": "NOT_FOUND", "message": "No matches found!"}}``: that is an empty result.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mdra.config import Settings

logger = logging.getLogger(__name__)

SEARCH_PATH = "/device/510k.json"
MAX_LIMIT = 1000  # openFDA's per-request maximum
MAX_SKIP = 25000  # openFDA refuses larger skips
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 30.0

Sleep = Callable[[float], Awaitable[None]]


class OpenFDAError(Exception):
    """openFDA could not answer: a non-retryable error, or retries ran out."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.attempts = attempts


class PredicateRecord(BaseModel):
    """One 510(k) clearance as openFDA reports it (fields MDRA uses; the rest are dropped)."""

    model_config = ConfigDict(extra="ignore")

    k_number: str
    device_name: str
    product_code: str
    decision_date: date | None = None
    applicant: str | None = None
    decision_description: str | None = None
    clearance_type: str | None = None

    @field_validator("decision_date", mode="before")
    @classmethod
    def _parse_compact_dates(cls, value: Any) -> Any:
        # Older openFDA exports use YYYYMMDD; current ones ISO YYYY-MM-DD.
        if isinstance(value, str):
            if value == "":
                return None
            if re.fullmatch(r"\d{8}", value):
                return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return value


class SearchMeta(BaseModel):
    skip: int = 0
    limit: int = 0
    total: int = 0
    last_updated: str | None = None


class PredicateSearchResult(BaseModel):
    meta: SearchMeta
    results: list[PredicateRecord] = Field(default_factory=list)

    @classmethod
    def empty(cls, *, skip: int, limit: int) -> PredicateSearchResult:
        return cls(meta=SearchMeta(skip=skip, limit=limit, total=0))

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> PredicateSearchResult:
        """Parse openFDA's ``{"meta": {"results": {skip, limit, total}}, "results": [...]}``."""
        meta = payload.get("meta") or {}
        page = meta.get("results") or {}
        return cls.model_validate(
            {
                "meta": {
                    "skip": page.get("skip", 0),
                    "limit": page.get("limit", 0),
                    "total": page.get("total", 0),
                    "last_updated": meta.get("last_updated"),
                },
                "results": payload.get("results") or [],
            }
        )


def _quote(value: str) -> str:
    # openFDA phrase search: quotes delimit the phrase, so they cannot appear inside it.
    cleaned = " ".join(value.replace('"', " ").split())
    return f'"{cleaned}"'


def build_search_query(product_code: str | None = None, device_name: str | None = None) -> str:
    """openFDA ``search=`` expression, e.g. ``product_code:"DQY" AND device_name:"catheter"``."""
    terms: list[str] = []
    if product_code and product_code.strip():
        terms.append(f"product_code:{_quote(product_code.strip().upper())}")
    if device_name and device_name.strip():
        terms.append(f"device_name:{_quote(device_name)}")
    if not terms:
        raise ValueError("give product_code or device_name")
    return " AND ".join(terms)


class OpenFDAClient:
    """Searches openFDA's 510(k) endpoint; retries 429/5xx/timeouts with exponential backoff."""

    def __init__(
        self,
        http_client: httpx.AsyncClient | None = None,
        *,
        base_url: str = "https://api.fda.gov",
        api_key: str | None = None,
        timeout_s: float = 10.0,
        max_attempts: int = 3,
        backoff_base_s: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self._sleep = sleep
        self._owns_client = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> OpenFDAClient:
        options: dict[str, Any] = {
            "base_url": settings.fda_base_url,
            "api_key": settings.fda_api_key,
            "timeout_s": settings.fda_timeout_s,
            "max_attempts": settings.fda_max_attempts,
            "backoff_base_s": settings.fda_backoff_base_s,
        }
        options.update(overrides)
        return cls(**options)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def backoff_delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based): base * 2**(attempt-1),
        or the server's ``Retry-After`` (capped) when it sends one in seconds."""
        if response is not None:
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                return min(float(retry_after), MAX_RETRY_AFTER_S)
        return float(self.backoff_base_s * 2 ** (attempt - 1))

    async def search_predicates(
        self,
        product_code: str | None = None,
        device_name: str | None = None,
        *,
        limit: int = 10,
        skip: int = 0,
    ) -> PredicateSearchResult:
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        if not 0 <= skip <= MAX_SKIP:
            raise ValueError(f"skip must be between 0 and {MAX_SKIP}")
        params: dict[str, str | int] = {
            "search": build_search_query(product_code, device_name),
            "limit": limit,
            "skip": skip,
        }
        if self.api_key:
            params["api_key"] = self.api_key
        response = await self._get_with_retries(f"{self.base_url}{SEARCH_PATH}", params)
        if response.status_code == 404 and _error_code(response) == "NOT_FOUND":
            return PredicateSearchResult.empty(skip=skip, limit=limit)
        if response.is_error:
            raise OpenFDAError(
                f"openFDA answered {response.status_code}: {_error_message(response)}",
                status_code=response.status_code,
                code=_error_code(response),
            )
        try:
            return PredicateSearchResult.from_payload(response.json())
        except (ValueError, ValidationError) as exc:
            raise OpenFDAError(
                "openFDA sent a response that is not a 510(k) result",
                status_code=response.status_code,
                code="INVALID_RESPONSE",
            ) from exc

    async def iter_predicates(
        self,
        product_code: str | None = None,
        device_name: str | None = None,
        *,
        page_size: int = 100,
        max_records: int | None = None,
    ) -> AsyncIterator[PredicateRecord]:
        """Every matching record, page by page (``skip`` advancing by ``page_size``)."""
        skip = 0
        yielded = 0
        while True:
            page = await self.search_predicates(
                product_code, device_name, limit=page_size, skip=skip
            )
            for record in page.results:
                if max_records is not None and yielded >= max_records:
                    return
                yield record
                yielded += 1
            skip += len(page.results)
            if not page.results or skip >= page.meta.total or skip > MAX_SKIP:
                return

    async def _get_with_retries(self, url: str, params: dict[str, str | int]) -> httpx.Response:
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = await self._http.get(url, params=params)
            except httpx.TimeoutException as exc:
                if attempt == self.max_attempts:
                    raise OpenFDAError(
                        f"openFDA timed out after {attempt} attempts",
                        code="TIMEOUT",
                        attempts=attempt,
                    ) from exc
                delay = self.backoff_delay(attempt)
                logger.warning("openFDA timeout (attempt %d), retrying in %.2fs", attempt, delay)
            except httpx.TransportError as exc:
                if attempt == self.max_attempts:
                    raise OpenFDAError(
                        f"openFDA unreachable after {attempt} attempts: {exc}",
                        code="UNREACHABLE",
                        attempts=attempt,
                    ) from exc
                delay = self.backoff_delay(attempt)
                logger.warning("openFDA transport error (attempt %d): %s", attempt, exc)
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                if attempt == self.max_attempts:
                    raise OpenFDAError(
                        f"openFDA answered {response.status_code} after {attempt} attempts",
                        status_code=response.status_code,
                        code=_error_code(response) or "RETRIES_EXHAUSTED",
                        attempts=attempt,
                    )
                delay = self.backoff_delay(attempt, response)
                logger.warning(
                    "openFDA answered %d (attempt %d), retrying in %.2fs",
                    response.status_code,
                    attempt,
                    delay,
                )
            await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _error_code(response: httpx.Response) -> str | None:
    code = _error_body(response).get("code")
    return str(code) if code is not None else None


def _error_message(response: httpx.Response) -> str:
    return str(_error_body(response).get("message") or response.reason_phrase or "error")
