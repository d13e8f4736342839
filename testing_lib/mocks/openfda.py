"""openFDA mocked at the HTTP layer with respx: the code under test makes real httpx calls.

`OpenFDAMock` answers `GET {base}/device/510k.json` and `/device/classification.json` from a
data set, the way openFDA does: `search=` expressions (`product_code:"DQY" AND
device_name:"catheter"`, ranges `decision_date:[20200101 TO 20201231]`), `skip`/`limit`
paging (default limit 1, at most 1000; skip at most 25000), the `meta` + `results` envelope,
and HTTP 404 `NOT_FOUND` "No matches found!" for an empty result. Failures are scripted per
endpoint and used up one request at a time:

    mock.rate_limit_next(times=2, retry_after=1)   # 429 twice, then normal answers
    mock.fail_next(503)                            # one 5xx
    mock.timeout_next()                            # one httpx.ReadTimeout

`call_count("510k")` and `calls("510k")` tell what reached each route. While the mock is
started, any other outbound request (another host or path) fails the test naming its URL;
loopback passes through.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal

import httpx
import respx

import testing_lib.mocks.openfda_data as data
from testing_lib.mocks.network import refuse_url

Endpoint = Literal["510k", "classification"]
ENDPOINT_PATHS: Final[dict[Endpoint, str]] = {
    "510k": "/device/510k.json",
    "classification": "/device/classification.json",
}
DEFAULT_BASE_URL: Final = "https://api.fda.gov"
MAX_LIMIT: Final = 1000
MAX_SKIP: Final = 25000
DEFAULT_LIMIT: Final = 1

_EXACT_FIELDS: Final = frozenset(
    {"product_code", "k_number", "decision_code", "country_code", "clearance_type", "state"}
)
_DATE_FIELDS: Final = frozenset({"decision_date", "date_received"})
_AND = re.compile(r"\s+AND\s+|\+AND\+")
_TERM = re.compile(r'^(?P<field>[\w.]+):(?P<value>"[^"]*"|\[[^\]]*\]|[^\s"]+)$')
_TOKEN = re.compile(r"[a-z0-9]+")


class SearchSyntaxError(ValueError):
    """The `search=` expression is not one this mock (or openFDA) understands."""


@dataclass(frozen=True)
class SearchTerm:
    field: str
    value: str | None = None
    low: str | None = None  # for ranges, dates as YYYYMMDD
    high: str | None = None


def parse_search(expression: str) -> list[SearchTerm]:
    """`product_code:"DQY" AND device_name:"x"` -> terms (openFDA's AND syntax)."""
    terms = []
    for raw in _AND.split(expression.strip()):
        match = _TERM.match(raw.strip())
        if match is None:
            raise SearchSyntaxError(f"cannot parse search term {raw!r}")
        name, value = match["field"], match["value"]
        if value.startswith("["):
            parts = value[1:-1].split(" TO ")
            if len(parts) != 2:
                raise SearchSyntaxError(f"a range is [LOW TO HIGH], got {value!r}")
            terms.append(SearchTerm(name, low=_compact(parts[0]), high=_compact(parts[1])))
        else:
            terms.append(SearchTerm(name, value=value.strip('"')))
    return terms


def _compact(day: str) -> str:
    return day.strip().replace("-", "")


def _lookup(record: dict[str, Any], dotted: str) -> list[str]:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return []
        value = value[part]
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None]


def _phrase_in(phrase: str, text: str) -> bool:
    wanted = _TOKEN.findall(phrase.lower())
    tokens = _TOKEN.findall(text.lower())
    if not wanted:
        return False
    return any(tokens[i : i + len(wanted)] == wanted for i in range(len(tokens) - len(wanted) + 1))


def matches(record: dict[str, Any], term: SearchTerm) -> bool:
    values = _lookup(record, term.field)
    if term.low is not None and term.high is not None:
        low, high = term.low, term.high
        return any(low <= _compact(v) <= high for v in values)
    assert term.value is not None
    leaf = term.field.rsplit(".", 1)[-1]
    if leaf in _EXACT_FIELDS:
        return any(v.lower() == term.value.lower() for v in values)
    if leaf in _DATE_FIELDS:
        return any(_compact(v) == _compact(term.value) for v in values)
    return any(_phrase_in(term.value, v) for v in values)


@dataclass
class _Scripted:
    status: int = 200
    json: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error: type[httpx.TransportError] | None = None

    def answer(self, request: httpx.Request) -> httpx.Response:
        if self.error is not None:
            raise self.error(f"openFDA mock: scripted {self.error.__name__}", request=request)
        if self.text is not None:
            return httpx.Response(self.status, text=self.text, headers=self.headers)
        return httpx.Response(self.status, json=self.json, headers=self.headers)


class OpenFDAMock:
    """openFDA's device endpoints, answered by respx from a data set."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        clearances: Iterable[dict[str, Any]] | None = None,
        classifications: Iterable[dict[str, Any]] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.datasets: dict[Endpoint, list[dict[str, Any]]] = {
            "510k": list(data.default_clearances() if clearances is None else clearances),
            "classification": list(
                data.default_classifications() if classifications is None else classifications
            ),
        }
        self._scripts: dict[Endpoint, deque[_Scripted]] = {name: deque() for name in ENDPOINT_PATHS}
        self.router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        for name, path in ENDPOINT_PATHS.items():
            self.router.get(f"{self.base_url}{path}", name=name).mock(
                side_effect=self._handler(name)
            )
        for host in ("localhost", "127.0.0.1", "::1"):
            self.router.route(host=host).pass_through()
        self.router.route(name="unmocked").mock(side_effect=self._refuse)
        self._started = False

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> OpenFDAMock:
        if not self._started:
            self.router.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._started = False
            self.router.stop(clear=False, reset=False, quiet=True)  # keep the call history

    def __enter__(self) -> OpenFDAMock:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- data ----------------------------------------------------------------------------

    @property
    def clearances(self) -> list[dict[str, Any]]:
        return self.datasets["510k"]

    def add_clearances(self, *records: dict[str, Any]) -> None:
        self.datasets["510k"].extend(records)

    def use_clearances(self, records: Iterable[dict[str, Any]]) -> None:
        """Answer 510(k) searches from `records` only (see `openfda_data.clearance_record`)."""
        self.datasets["510k"] = list(records)

    def url(self, endpoint: Endpoint = "510k") -> str:
        return f"{self.base_url}{ENDPOINT_PATHS[endpoint]}"

    # --- scripted answers ----------------------------------------------------------------

    def respond_next(
        self,
        status: int,
        *,
        times: int = 1,
        json: Any = None,
        text: str | None = None,
        headers: dict[str, str] | None = None,
        endpoint: Endpoint = "510k",
    ) -> None:
        """The next `times` requests get this answer instead of one from the data set."""
        for _ in range(times):
            self._scripts[endpoint].append(
                _Scripted(status=status, json=json, text=text, headers=dict(headers or {}))
            )

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        json: Any = None,
        text: str | None = None,
        headers: dict[str, str] | None = None,
        endpoint: Endpoint = "510k",
    ) -> None:
        """The next `times` requests get `status` (default body: openFDA's error shape)."""
        if json is None and text is None:
            code = "SERVER_ERROR" if status >= 500 else "BAD_REQUEST"
            json = data.error_payload(code, f"HTTP {status}")
        self.respond_next(
            status, times=times, json=json, text=text, headers=headers, endpoint=endpoint
        )

    def rate_limit_next(
        self, *, times: int = 1, retry_after: int | None = None, endpoint: Endpoint = "510k"
    ) -> None:
        """The next `times` requests get 429 OVER_RATE_LIMIT (with `Retry-After` if given)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.fail_next(
            429, times=times, json=data.rate_limit_payload(), headers=headers, endpoint=endpoint
        )

    def raise_next(
        self,
        error: type[httpx.TransportError] = httpx.ConnectError,
        *,
        times: int = 1,
        endpoint: Endpoint = "510k",
    ) -> None:
        """The next `times` requests raise `error` (a transport error: connect, read, ...)."""
        for _ in range(times):
            self._scripts[endpoint].append(_Scripted(error=error))

    def timeout_next(
        self,
        *,
        times: int = 1,
        kind: type[httpx.TimeoutException] = httpx.ReadTimeout,
        endpoint: Endpoint = "510k",
    ) -> None:
        """The next `times` requests time out (`httpx.ReadTimeout` unless `kind` says)."""
        self.raise_next(kind, times=times, endpoint=endpoint)

    def pending_scripts(self, endpoint: Endpoint = "510k") -> int:
        return len(self._scripts[endpoint])

    # --- observation ---------------------------------------------------------------------

    def call_count(self, endpoint: Endpoint | None = None) -> int:
        """Requests that reached `endpoint` (all openFDA endpoints when None)."""
        names = [endpoint] if endpoint else list(ENDPOINT_PATHS)
        return sum(self.router.routes[name].call_count for name in names)

    def calls(self, endpoint: Endpoint = "510k") -> list[httpx.Request]:
        return [call.request for call in self.router.routes[endpoint].calls]

    @property
    def last_request(self) -> httpx.Request:
        """The last request any route of the mock saw."""
        if not self.router.calls:
            raise AssertionError("openFDA mock: no request was made")
        request: httpx.Request = self.router.calls.last.request
        return request

    # --- answers -------------------------------------------------------------------------

    def _refuse(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        refuse_url(request.method, str(url), url.host, port)

    def _handler(self, endpoint: Endpoint) -> Any:
        def handle(request: httpx.Request) -> httpx.Response:
            scripted = self._scripts[endpoint]
            if scripted:
                return scripted.popleft().answer(request)
            return self.answer(endpoint, request.url.params)

        return handle

    def answer(self, endpoint: Endpoint, params: httpx.QueryParams) -> httpx.Response:
        """What openFDA would answer for these query parameters."""
        try:
            limit = int(params.get("limit", DEFAULT_LIMIT))
            skip = int(params.get("skip", 0))
        except ValueError:
            return _error(400, "BAD_REQUEST", "Invalid limit or skip: they must be integers")
        if limit > MAX_LIMIT or limit < 0:
            return _error(
                400,
                "BAD_REQUEST",
                f"Limit cannot exceed {MAX_LIMIT} results for search requests. Use the skip or "
                "search_after param to get additional results.",
            )
        if skip > MAX_SKIP or skip < 0:
            return _error(400, "BAD_REQUEST", f"Skip value must {MAX_SKIP} or less.")
        records = self.datasets[endpoint]
        search = params.get("search")
        if search:
            try:
                terms = parse_search(search)
            except SearchSyntaxError as exc:
                return _error(400, "BAD_REQUEST", f"Syntax error in search: {exc}")
            records = [r for r in records if all(matches(r, term) for term in terms)]
        page = records[skip : skip + limit]
        if not page:
            return httpx.Response(404, json=data.not_found_payload())
        return httpx.Response(
            200, json=data.search_payload(page, skip=skip, limit=limit, total=len(records))
        )


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json=data.error_payload(code, message))
