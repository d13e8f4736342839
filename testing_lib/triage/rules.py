"""Failure kinds: the rule table that names what went wrong in a failing test and what fixes it.

A failure's *evidence* is its headline (``ExceptionType: message``, normalized) followed by
the exception lines of its traceback (chained causes included), one per line. Rules are
tried in `RULES` order and the first that matches names the kind, so specific causes
(a refused connection wrapped in a database error) come before generic exception types.
A rule with ``scope="headline"`` looks at the headline only: a type-based kind must not
be picked up from a cause further down. `other` matches everything, keyed by the
exception type. A rule's *key* narrows the kind to one cause (the missing fixture, the
missing module, the refused ``host:port``), so those failures are counted, and fixed, together.
A rule's *advice*, where it has one, fits its remediation to what the target has (see
`advice`); without the target's facts the rule's general remediation stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from testing_lib.triage.advice import Advice, Failure, async_advice, missing_module_advice
from testing_lib.triage.facts import TargetFacts

KeyFunction = Callable[[re.Match[str]], str | None]
Scope = Literal["headline", "evidence"]

# Headlines the triage writes for the test a run ended in (it has no result of its own).
RUN_TIME_LIMIT = "Timeout (run time limit)"
PROCESS_ENDED = "pytest ended while the test ran"

_LOOPBACK = r"(?:localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|0\.0\.0\.0|testserver)\b"
# "Type: message" (or a bare "Type") at a line start; dotted, last part capitalized
_EXCEPTION_TYPE = re.compile(r"^((?:[A-Za-z_]\w*\.)*[A-Z]\w*)(?::|$)", re.MULTILINE)


def named_key(match: re.Match[str]) -> str | None:
    """The pattern's ``key`` group, when it has one and it matched."""
    return match.groupdict().get("key") or None


def joined_key(*names: str, sep: str = ".") -> KeyFunction:
    """A key made of the named groups that matched, joined (``module.name``, ``host:port``)."""

    def key(match: re.Match[str]) -> str | None:
        groups = match.groupdict()
        return sep.join(value for name in names if (value := groups.get(name))) or None

    return key


def limit_key(match: re.Match[str]) -> str | None:
    """``>5s`` from a timeout's limit (``5.0`` and ``5`` are one limit); else the ``key`` group."""
    limit = match.groupdict().get("limit")
    return f">{float(limit):g}s" if limit else named_key(match)


def short_type_key(match: re.Match[str]) -> str | None:
    """The ``type`` group without its module (``sqlalchemy.exc.IntegrityError`` → last part)."""
    name = match.groupdict().get("type")
    return name.rsplit(".", 1)[-1] if name else None


def exception_type_key(match: re.Match[str]) -> str | None:
    """The exception type the evidence starts with (``RuntimeError``), if it names one."""
    found = _EXCEPTION_TYPE.search(match.string)
    return found.group(1) if found else None


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE | re.MULTILINE) for p in patterns)


@dataclass(frozen=True)
class Rule:
    """One failure kind: how to recognize it, what to key it by, and what fixes it.

    `patterns` are searched in order (over the headline, or the whole evidence, per
    `scope`); the first that matches decides, and `key` turns that match into the group
    key (None: the kind alone groups the failures).
    """

    kind: str
    title: str
    patterns: tuple[re.Pattern[str], ...]
    remediation: str
    key: KeyFunction = field(default=named_key)
    scope: Scope = "evidence"
    advice: Advice | None = None

    def match(self, evidence: str) -> re.Match[str] | None:
        """The first of `patterns` found in `evidence` (its first line for a headline rule)."""
        text = evidence.split("\n", 1)[0] if self.scope == "headline" else evidence
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                return found
        return None

    def remediation_for(self, failure: Failure, facts: TargetFacts | None) -> str:
        """The remediation fitted to the target by `advice` when its `facts` are known and
        the advice applies; else the general `remediation`."""
        if facts is None or self.advice is None:
            return self.remediation
        return self.advice(failure, facts) or self.remediation


RULES: tuple[Rule, ...] = (
    Rule(
        kind="timeout",
        title="stopped by a time limit",
        patterns=_compile(
            r"^(?:Failed: )?Timeout \(?>\s*(?P<limit>[\d.]+)\s*s\)?",
            r"^Timeout \((?P<key>run time limit|per-test limit)\)",
        ),
        remediation="find what blocks: the per-test timeout stopped it; its stack shows where "
        "(a lock, a socket read without a timeout, an await that never resolves)",
        key=limit_key,
        scope="headline",
    ),
    Rule(
        kind="missing_fixture",
        title="fixture not found",
        patterns=_compile(r"fixture '(?P<key>[^']+)' not found"),
        remediation="define the fixture in a conftest.py the test can see, or request a "
        "testing_lib fixture (`isolated_db`, `async_client`, `test_client`, `mock_services`, ...)",
        scope="headline",
    ),
    Rule(
        kind="async_without_plugin",
        title="async test no plugin ran",
        patterns=_compile(
            r"async def functions are not natively supported",
            r"You need to install a suitable plugin for your async framework",
            r"coroutine '[^']*' was never awaited",
        ),
        remediation="no async plugin ran these tests: where pytest-asyncio is installed it "
        'runs in strict mode (its default), so set `asyncio_mode = "auto"` in the pytest '
        "configuration or mark the tests `@pytest.mark.asyncio`; where none is, add "
        "pytest-asyncio to the test dependencies",
        advice=async_advice,
    ),
    Rule(
        kind="missing_module",
        title="module not found",
        patterns=_compile(r"No module named '(?P<key>[\w.]+)'"),
        remediation="when it is the project's own module, it moved or was renamed: update "
        "the import; else install the package in the target's environment (add it to its test "
        "dependencies), or skip the module with `pytest.importorskip` when it is optional",
        advice=missing_module_advice,
    ),
    Rule(
        kind="real_network",
        title="test reached the real network",
        patterns=_compile(
            r"(?P<key>api\.fda\.gov)",
            r"un-mocked outbound network access in a test: \S+ https?://(?P<key>[^/:\s]+)",
            # the socket layer: "DNS look-up of HOST:PORT", "connect to HOST:PORT"
            r"un-mocked outbound network access in a test: [^;]*?"
            r"(?P<key>[\w-]+(?:\.[\w-]+)+|\[[0-9a-fA-F:]+\]):\d+",
            r"NetworkBlockedError: remediation: \S+ \[?(?P<key>[^\s\]]+?)\]?:\S+ refused",
            r"Socket(?:Connect)?BlockedError\b(?:.*?with host \"(?P<key>[^\"]+)\")?",
            r"Failed to resolve '(?P<key>[^']+)'",
            r"(?:ConnectError|ConnectionError|ConnectTimeout|ClientConnectorError|Max retries)"
            rf".*?(?:host=['\"]|Cannot connect to host |https?://)(?!{_LOOPBACK})"
            r"(?P<key>[\w-]+(?:\.[\w-]+)+)",
            rf"Connect call failed \('(?!{_LOOPBACK})(?P<key>[^']+)'",
            r"Name or service not known|Temporary failure in name resolution"
            r"|nodename nor servname provided|getaddrinfo failed"
            r"|No address associated with hostname",
        ),
        remediation="mock the external API (respx for httpx; the `mock_services` / "
        "`mock_openfda_service` fixtures for openFDA): tests must not depend on the internet",
    ),
    Rule(
        kind="connection_refused",
        title="connection refused by a local service",
        patterns=_compile(
            r"Connect call failed \('(?P<host>[^']+)', (?P<port>\d+)\)",
            r"connection to server at \"(?P<host>[^\"]+)\"[^,]*, port (?P<port>\d+) failed",
            r"Error 111 connecting to (?P<host>[\w.-]+):(?P<port>\d+)",
            r"Can't connect to \w+ server on '(?P<host>[^']+)'",
            r"ConnectionRefusedError|\[Errno (?:111|61|10061)\]|Connection refused"
            r"|could not connect to server|actively refused",
            r"OperationalError\b.*\bconnect(?:ion)?\b",
        ),
        remediation="use `isolated_db` (a per-test database) instead of a shared server, "
        "or start the service the test expects before the phase runs",
        key=joined_key("host", "port", sep=":"),
    ),
    Rule(
        kind="database_error",
        title="database error",
        patterns=_compile(
            r"(?P<type>(?:[\w.]+\.)?(?:OperationalError|IntegrityError|ProgrammingError"
            r"|DataError|InternalError|InterfaceError|DatabaseError|NotSupportedError))\b",
            r"^(?P<type>(?:sqlalchemy|asyncpg|psycopg2?|sqlite3|aiosqlite)\.[\w.]*[A-Z]\w*)",
        ),
        remediation="give each test its own schema and data with `isolated_db` (migrations "
        "applied, rolled back after the test); check the models match the migrations",
        key=short_type_key,
    ),
    Rule(
        kind="syntax_error",
        title="syntax error",
        patterns=_compile(r"^(?:SyntaxError|IndentationError|TabError)\b"),
        remediation="fix the source the traceback names: the module does not compile, "
        "so none of its tests run",
        scope="headline",
    ),
    Rule(
        kind="basename_clash",
        title="two test modules share a basename",
        patterns=_compile(r"^import file mismatch: module '(?P<key>[^']+)'"),
        remediation="the test folders are not packages, so both modules are imported under one "
        "name: add `__init__.py` to their folders (each module then gets its package's name), "
        "or rename one of them",
        scope="headline",
    ),
    Rule(
        kind="relative_import",
        title="relative import outside a package",
        patterns=_compile(
            r"^ImportError: attempted relative import (?:with no known parent package"
            r"|beyond top-level package)"
        ),
        remediation="the test's folder is not a package: add the `__init__.py` files that make "
        "it one (as deep as the import's dots go), or make the import absolute",
        scope="headline",
    ),
    Rule(
        kind="import_error",
        title="import error",
        patterns=_compile(
            r"^ImportError: cannot import name '(?P<name>[\w.]+)' from '(?P<module>[\w.]+)'",
            r"^ImportError\b",
        ),
        remediation="fix the import: the name moved or was renamed, or a circular import "
        "leaves the module half-initialized",
        key=joined_key("module", "name"),
        scope="headline",
    ),
    Rule(
        kind="http_status",
        title="unexpected HTTP status",
        patterns=_compile(
            r"^(?:AssertionError: )?assert (?P<key>[1-5]\d\d (?:==|!=|in) [1-5]\d\d)\b",
            r"^(?:AssertionError: )?assert .*\bstatus(?:_code)?\b",
        ),
        remediation="read the response body the endpoint returned: a 401/403 needs "
        "authentication (`authenticated_client`), a 404 a route or seeded data, a 422 a valid "
        "payload, a 500 the server-side traceback",
        scope="headline",
    ),
    Rule(
        kind="assertion",
        title="assertion failed",
        patterns=_compile(r"^(?:AssertionError\b|assert\b)"),
        remediation="compare expected and actual in the assertion: fix the code under test, "
        "or update the expectation when the behaviour changed on purpose",
        scope="headline",
    ),
    Rule(
        kind="attribute_error",
        title="attribute error",
        patterns=_compile(
            r"^AttributeError: '(?P<owner>[\w.]+)' object has no attribute '(?P<attr>\w+)'",
            r"^AttributeError: (?:type object|module) '(?P<owner>[\w.]+)' has no attribute "
            r"'(?P<attr>\w+)'",
            r"^AttributeError\b",
        ),
        remediation="the object lacks the attribute the test uses: an API changed, a mock "
        "lacks a spec, or a value is None where an object was expected",
        key=joined_key("owner", "attr"),
        scope="headline",
    ),
    Rule(
        kind="type_error",
        title="type error",
        patterns=_compile(r"^TypeError: (?:(?P<key>[\w.<>]+)\(\) )?"),
        remediation="a call does not match its signature or gets the wrong type: update the "
        "call to the current API (arguments added, renamed or made keyword-only)",
        scope="headline",
    ),
    Rule(
        kind="crashed",
        title="the pytest process ended while the test ran",
        patterns=_compile(r"^" + re.escape(PROCESS_ENDED)),
        remediation="run the test alone and read the run's output: a crash in a C extension, "
        "`os._exit`/`sys.exit` in the code under test, or the process was killed (memory)",
        scope="headline",
    ),
    Rule(
        kind="other",
        title="other failure",
        patterns=_compile(r"^"),
        remediation="read the traceback: no known kind matched this failure",
        key=exception_type_key,
        scope="headline",
    ),
)

RULES_BY_KIND: dict[str, Rule] = {rule.kind: rule for rule in RULES}


def match_rule(evidence: str) -> tuple[Rule, str | None]:
    """The first rule of `RULES` matching `evidence`, and the key it gives."""
    for rule in RULES:
        found = rule.match(evidence)
        if found:
            return rule, rule.key(found)
    return RULES[-1], None  # unreachable: `other` matches any text
