"""A test file's category and functionality, from evidence that is kept and reported.

Each observation (an import, a fixture a test requests, a marker, a call, a word of the
file's name or folder or docstring) supports a category or an area with a weight; the
totals decide. Explicit declarations weigh most (`@pytest.mark.integration`, a file named
`test_*_integration.py`); the folder a file sits in weighs least, since it may be wrong.

- performance: a total of 3 or more (a marker, name or folder, or several timing/memory
  probes), whatever else the file does;
- integration: 2 or more and more than unit (real I/O: HTTP clients, database engines,
  sockets, sleeping, subprocesses; app/client/db fixtures);
- unit: everything else.

A file already under the test root's `unit/`, `integration/` or `performance/` folder
gets 3 points for that category: only stronger evidence moves it elsewhere.

The functionality is the area with the highest total of at least 2, else "general".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from testing_lib.organizer.analysis import FileAnalysis
from testing_lib.organizer.models import GENERAL, Category, Evidence, Signal

AREAS = ("auth", "database", "api", "services", "models", "core", "utils")
_F = "functionality:"

_IMPORTS: dict[str, tuple[tuple[str, int], ...]] = {
    "httpx": (("integration", 1), (_F + "api", 2)),
    "requests": (("integration", 2), (_F + "services", 2)),
    "aiohttp": (("integration", 2), (_F + "services", 2)),
    "urllib.request": (("integration", 2), (_F + "services", 2)),
    "socket": (("integration", 2),),
    "fastapi.testclient": (("integration", 2), (_F + "api", 2)),
    "starlette.testclient": (("integration", 2), (_F + "api", 2)),
    "fastapi": ((_F + "api", 2),),
    "flask": ((_F + "api", 2),),
    "asgi_lifespan": (("integration", 2), (_F + "api", 2)),
    "sqlalchemy": (("integration", 1), (_F + "database", 2)),
    "sqlite3": (("integration", 1), (_F + "database", 2)),
    "aiosqlite": (("integration", 1), (_F + "database", 2)),
    "asyncpg": (("integration", 2), (_F + "database", 2)),
    "psycopg": (("integration", 2), (_F + "database", 2)),
    "psycopg2": (("integration", 2), (_F + "database", 2)),
    "pymongo": (("integration", 2), (_F + "database", 2)),
    "alembic": (("integration", 2), (_F + "database", 2)),
    "redis": (("integration", 1), (_F + "services", 2)),
    "fakeredis": ((_F + "services", 2),),
    "respx": ((_F + "services", 2),),
    "responses": ((_F + "services", 2),),
    "jwt": ((_F + "auth", 2),),
    "jose": ((_F + "auth", 2),),
    "passlib": ((_F + "auth", 2),),
    "bcrypt": ((_F + "auth", 2),),
    "psutil": (("performance", 2),),
    "tracemalloc": (("performance", 2),),
    "timeit": (("performance", 2),),
    "resource": (("performance", 1),),
    "pytest_benchmark": (("performance", 3),),
    "locust": (("performance", 3),),
    "subprocess": (("integration", 1),),
    "docker": (("integration", 2),),
    "testcontainers": (("integration", 2),),
}

_CALLS: dict[str, tuple[tuple[str, int], ...]] = {
    "time.sleep": (("integration", 1),),
    "asyncio.sleep": (("integration", 1),),
    "time.perf_counter": (("performance", 1),),
    "time.monotonic": (("performance", 1),),
    "time.process_time": (("performance", 1),),
    "timeit.timeit": (("performance", 2),),
    "tracemalloc.start": (("performance", 2),),
    "psutil.Process": (("performance", 2),),
    "TestClient": (("integration", 2), (_F + "api", 2)),
    "AsyncClient": (("integration", 2), (_F + "api", 2)),
    "httpx.AsyncClient": (("integration", 2), (_F + "api", 2)),
    "httpx.Client": (("integration", 2), (_F + "api", 2)),
    "ASGITransport": (("integration", 1), (_F + "api", 1)),
    "requests.get": (("integration", 2), (_F + "services", 1)),
    "requests.post": (("integration", 2), (_F + "services", 1)),
    "httpx.get": (("integration", 2), (_F + "services", 1)),
    "httpx.post": (("integration", 2), (_F + "services", 1)),
    "urllib.request.urlopen": (("integration", 2), (_F + "services", 1)),
    "socket.create_connection": (("integration", 2),),
    "create_engine": (("integration", 1), (_F + "database", 1)),
    "create_async_engine": (("integration", 1), (_F + "database", 1)),
    "sqlite3.connect": (("integration", 1), (_F + "database", 1)),
    "aiosqlite.connect": (("integration", 1), (_F + "database", 1)),
    "subprocess.run": (("integration", 1),),
    "jwt.encode": ((_F + "auth", 1),),
    "jwt.decode": ((_F + "auth", 1),),
}

_FIXTURES: dict[str, tuple[tuple[str, int], ...]] = {
    **{
        n: (("integration", 1), (_F + "api", 2))
        for n in ("client", "async_client", "api_client", "test_client", "app", "live_server")
    },
    **{
        n: (("integration", 1), (_F + "database", 2))
        for n in (
            "db",
            "db_session",
            "session",
            "engine",
            "connection",
            "database",
            "repo",
            "repository",
            "store",
            "isolated_db",
        )
    },
    **{n: ((_F + "services", 2),) for n in ("redis", "fake_redis", "redis_client", "cache")},
    "benchmark": (("performance", 3),),
    **{
        n: ((_F + "auth", 2),)
        for n in ("auth_headers", "token", "access_token", "current_user", "user_token")
    },
    **{n: ((_F + "services", 2),) for n in ("httpx_mock", "respx_mock", "mock_openfda")},
}

_MARKERS: dict[str, tuple[tuple[str, int], ...]] = {
    **{m: (("integration", 3),) for m in ("integration", "e2e", "db", "database", "network")},
    **{m: (("performance", 3),) for m in ("performance", "benchmark", "perf", "load")},
    "unit": (("unit", 3),),
}

_CATEGORY_WORDS: dict[str, tuple[str, int]] = {
    "integration": ("integration", 3),
    "e2e": ("integration", 3),
    "flow": ("integration", 1),
    "smoke": ("integration", 3),
    "workflow": ("integration", 1),
    "performance": ("performance", 3),
    "perf": ("performance", 3),
    "benchmark": ("performance", 3),
    "benchmarks": ("performance", 3),
    "load": ("performance", 2),
    "stress": ("performance", 3),
    "latency": ("performance", 2),
    "throughput": ("performance", 2),
}

_AREA_WORDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "db",
            "database",
            "sql",
            "sqlite",
            "migration",
            "migrations",
            "repository",
            "repo",
            "storage",
            "orm",
            "persistence",
        ),
        "database",
    ),
    **dict.fromkeys(
        ("model", "models", "enum", "enums", "status", "schema", "schemas", "entity", "entities"),
        "models",
    ),
    **dict.fromkeys(
        (
            "api",
            "endpoint",
            "endpoints",
            "route",
            "routes",
            "router",
            "view",
            "views",
            "http",
            "handler",
            "handlers",
            "rest",
            "web",
        ),
        "api",
    ),
    **dict.fromkeys(
        (
            "auth",
            "authentication",
            "authorization",
            "jwt",
            "token",
            "tokens",
            "login",
            "logout",
            "password",
            "passwords",
            "security",
            "permission",
            "permissions",
            "oauth",
        ),
        "auth",
    ),
    **dict.fromkeys(
        (
            "service",
            "services",
            "cache",
            "caching",
            "redis",
            "openfda",
            "fda",
            "external",
            "predicate",
            "predicates",
            "queue",
            "email",
            "notification",
            "notifications",
        ),
        "services",
    ),
    **dict.fromkeys(
        (
            "config",
            "configuration",
            "settings",
            "exception",
            "exceptions",
            "error",
            "errors",
            "core",
            "logging",
        ),
        "core",
    ),
    **dict.fromkeys(
        ("util", "utils", "helper", "helpers", "common", "format", "formatting", "strings"),
        "utils",
    ),
}


@dataclass(frozen=True, slots=True)
class Classification:
    category: Category
    functionality: str
    evidence: list[Evidence]


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in ("test", "tests", "py")]


def _import_signals(module: str) -> tuple[tuple[str, int], ...]:
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        found = _IMPORTS.get(".".join(parts[:length]))
        if found:
            return found
    return ()


def _call_signals(callee: str) -> tuple[tuple[str, int], ...]:
    found = _CALLS.get(callee)
    if found:
        return found
    last = callee.rpartition(".")[2]
    if last in (
        "TestClient",
        "AsyncClient",
        "ASGITransport",
        "create_engine",
        "create_async_engine",
    ):
        return _CALLS[last]
    return ()


def classify_test_module(
    path: str,
    analysis: FileAnalysis,
    *,
    fixtures_used: Iterable[str],
    internal_imports: Iterable[str],
    test_root: str = "tests",
) -> Classification:
    """Category and functionality of a test module, with the evidence behind them."""
    evidence: list[Evidence] = []

    def add(signal: Signal, detail: str, supports: str, weight: int, line: int | None) -> None:
        evidence.append(
            Evidence(signal=signal, detail=detail, supports=supports, weight=weight, line=line)
        )

    seen_modules: set[str] = set()
    for ref in analysis.imports:
        modules = [ref.module] if not ref.is_from or ref.level else [ref.module]
        if ref.is_from and ref.level == 0:
            modules += [f"{ref.module}.{n}" for n in ref.names if n != "*"]
        for module in modules:
            for supports, weight in _import_signals(module):
                key = f"{supports}:{module.split('.')[0]}"
                if key not in seen_modules:
                    seen_modules.add(key)
                    add("import", f"imports {module}", supports, weight, ref.line)
    for callee, line in sorted(analysis.calls.items(), key=lambda item: item[1]):
        for supports, weight in _call_signals(callee):
            add("call", f"calls {callee}()", supports, weight, line)
    for name in sorted(set(fixtures_used)):
        for supports, weight in _FIXTURES.get(name, ()):
            add("fixture", f"uses fixture {name}", supports, weight, None)
    for marker, line in sorted(analysis.markers.items()):
        for supports, weight in _MARKERS.get(marker, ()):
            add("marker", f"marked @pytest.mark.{marker}", supports, weight, line)

    stem = path.rpartition("/")[2].removesuffix(".py")
    folders = path.split("/")[:-1]
    stem_words = _words(stem)
    for word in stem_words:
        if word in _CATEGORY_WORDS:
            supports, weight = _CATEGORY_WORDS[word]
            add("name", f"file name has '{word}'", supports, weight, None)
        if word in _AREA_WORDS:
            add("name", f"file name has '{word}'", _F + _AREA_WORDS[word], 2, None)
    relative = path[len(test_root) + 1 :] if test_root and path.startswith(test_root + "/") else ""
    layout_folder = relative.split("/")[0] if "/" in relative else ""
    if layout_folder in ("unit", "integration", "performance"):
        # The standard layout's folders are a declaration by the team: they weigh like a marker.
        add("location", f"filed under {test_root}/{layout_folder}/", layout_folder, 3, None)
    for folder in folders:
        if folder == layout_folder:
            continue
        for word in _words(folder):
            if word == "unit":
                add("location", f"sits in folder {folder}/", "unit", 1, None)
            elif word in _CATEGORY_WORDS:
                add("location", f"sits in folder {folder}/", _CATEGORY_WORDS[word][0], 1, None)
            elif word in _AREA_WORDS:
                add("location", f"sits in folder {folder}/", _F + _AREA_WORDS[word], 1, None)
    for module in sorted(set(internal_imports)):
        for word in set(_words(module.replace(".", " "))):
            if word in _AREA_WORDS:
                add("import", f"imports {module}", _F + _AREA_WORDS[word], 2, None)
    doc_words = set(_words(analysis.docstring))
    for word in sorted(doc_words):
        if word in _CATEGORY_WORDS:
            add("docstring", f"docstring mentions '{word}'", _CATEGORY_WORDS[word][0], 1, None)
        elif word in _AREA_WORDS:
            add("docstring", f"docstring mentions '{word}'", _F + _AREA_WORDS[word], 1, None)
    name_words = set()
    for test in analysis.tests:
        name_words |= set(_words(test.qualname))
    for word in sorted(name_words - doc_words - set(stem_words)):
        if word in _AREA_WORDS:
            add("name", f"test names mention '{word}'", _F + _AREA_WORDS[word], 1, None)

    totals: dict[str, int] = defaultdict(int)
    for item in evidence:
        totals[item.supports] += item.weight
    category: Category
    if totals["performance"] >= 3:  # performance tests usually do real I/O as well
        category = "performance"
    elif totals["integration"] >= 2 and totals["integration"] > totals["unit"]:
        category = "integration"
    else:
        category = "unit"
    best = GENERAL
    best_score = 1
    for area in AREAS:
        score = totals[_F + area]
        if score > best_score:
            best, best_score = area, score
    if category == "integration" and best == "models":
        best = "database"
    return Classification(category, best, evidence)


def script_evidence(analysis: FileAnalysis) -> list[Evidence]:
    found = []
    if analysis.has_main_block:
        found.append(
            Evidence(
                signal="structure",
                detail="has an `if __name__ == '__main__':` block",
                supports="obsolete",
                weight=3,
            )
        )
    for line in analysis.top_level_code[:3]:
        found.append(
            Evidence(
                signal="structure", detail="runs code at import", supports="obsolete", line=line
            )
        )
    found.append(
        Evidence(signal="structure", detail="defines no tests", supports="obsolete", weight=1)
    )
    return found
