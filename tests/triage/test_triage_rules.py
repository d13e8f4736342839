"""The rule table on the wording pytest, its plugins and common clients really produce."""

from __future__ import annotations

import pytest

from testing_lib.triage import RULES, classify
from testing_lib.triage.triage import evidence, normalize

CASES: list[tuple[str, str | None, str, str | None]] = [
    # (message, traceback, kind, key)
    ("Failed: Timeout (>5.0s) from pytest-timeout.", None, "timeout", ">5s"),
    ("Failed: Timeout >2s (per-test limit) in tests/a.py::test_x", None, "timeout", ">2s"),
    ("fixture 'test_db_manager' not found", None, "missing_fixture", "test_db_manager"),
    ("Failed: async def functions are not natively supported.", None, "async_without_plugin", None),
    (
        "You need to install a suitable plugin for your async framework, for example:",
        None,
        "async_without_plugin",
        None,
    ),
    (
        "RuntimeWarning: coroutine 'test_create_user' was never awaited",
        None,
        "async_without_plugin",
        None,
    ),
    (
        "tests/x/test_a.py:3: ModuleNotFoundError: No module named 'transformers'",
        None,
        "missing_module",
        "transformers",
    ),
    (
        "ImportError: cannot import name 'pipeline' from 'transformers' (unknown location)",
        "E   ModuleNotFoundError: No module named 'transformers.pipelines'",
        "missing_module",
        "transformers.pipelines",
    ),
    (
        "httpx.ConnectError: [Errno -3] Temporary failure in name resolution",
        None,
        "real_network",
        None,
    ),
    ("socket.gaierror: [Errno -2] Name or service not known", None, "real_network", None),
    (
        "testing_lib.mocks.network.UnmockedRequestError: un-mocked outbound network access in "
        "a test: DNS look-up of 10.255.255.1:80; mock it (respx, the mock_openfda_service "
        "fixture) or use a service on localhost",
        None,
        "real_network",
        "10.255.255.1",
    ),
    (
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.fda.gov', "
        "port=443): Max retries exceeded with url: /drug/label.json",
        None,
        "real_network",
        "api.fda.gov",
    ),
    (
        "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host "
        "api.example.com:443 ssl:default [Connect call failed ('93.184.216.34', 443)]",
        None,
        "real_network",
        "api.example.com",
    ),
    (
        "NetworkBlockedError: remediation: connect pypi.org:443 refused in tests/a.py::t: "
        "tests must not reach the network; mock the call (respx) or use a service on localhost",
        None,
        "real_network",
        "pypi.org",
    ),
    (
        'SocketBlockedError: A test tried to use socket.socket.connect() with host "8.8.8.8"',
        None,
        "real_network",
        "8.8.8.8",
    ),
    ("ConnectionRefusedError: [Errno 111] Connection refused", None, "connection_refused", None),
    (
        "OSError: Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432)",
        None,
        "connection_refused",
        "127.0.0.1:5432",
    ),
    (
        "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "
        '"localhost" (127.0.0.1), port 5432 failed: Connection refused',
        None,
        "connection_refused",
        "localhost:5432",
    ),
    (
        "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. "
        "Connection refused.",
        None,
        "connection_refused",
        "localhost:6379",
    ),
    (
        "httpx.ConnectError: All connection attempts failed",
        "E   ConnectionRefusedError: [Errno 111] Connection refused\n"
        "E   httpx.ConnectError: All connection attempts failed",
        "connection_refused",
        None,
    ),
    (
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) no such table: users",
        None,
        "database_error",
        "OperationalError",
    ),
    (
        "sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed",
        None,
        "database_error",
        "IntegrityError",
    ),
    (
        'asyncpg.exceptions.UndefinedTableError: relation "users" does not exist',
        None,
        "database_error",
        "UndefinedTableError",
    ),
    ("SyntaxError: invalid syntax", None, "syntax_error", None),
    ("IndentationError: unexpected indent", None, "syntax_error", None),
    (
        "ImportError: cannot import name 'Gone' from 'app.models' (/src/app/models.py)",
        None,
        "import_error",
        "app.models.Gone",
    ),
    (
        "ImportError: attempted relative import with no known parent package",
        None,
        "relative_import",
        None,
    ),
    (
        "import file mismatch: module 'test_money' was imported from another file",
        None,
        "basename_clash",
        "test_money",
    ),
    ("assert 404 == 200", None, "http_status", "404 == 200"),
    ("AssertionError: assert 500 == 201", None, "http_status", "500 == 201"),
    ("assert response.status_code == 200", None, "http_status", None),
    ("assert (1 + 1) == 3", None, "assertion", None),
    ("AssertionError: totals differ", None, "assertion", None),
    (
        "AttributeError: 'NoneType' object has no attribute 'id'",
        None,
        "attribute_error",
        "NoneType.id",
    ),
    (
        "AttributeError: module 'app.config' has no attribute 'SETTINGS'",
        None,
        "attribute_error",
        "app.config.SETTINGS",
    ),
    (
        "TypeError: create_user() got an unexpected keyword argument 'email'",
        None,
        "type_error",
        "create_user",
    ),
    ("TypeError: object of type 'int' has no len()", None, "type_error", None),
    ("KeyError: 'user'", None, "other", "KeyError"),
    ("Failed: expected a redirect", None, "other", "Failed"),
    (
        "ValueError: bad value",
        "E   AssertionError: an assertion in a cause is not the failure",
        "other",
        "ValueError",
    ),
    ("", None, "other", None),
]


@pytest.mark.parametrize(("message", "traceback", "kind", "key"), CASES)
def test_each_rule_recognises_its_wording(
    message: str, traceback: str | None, kind: str, key: str | None
) -> None:
    rule, found = classify(message, traceback)
    assert (rule.kind, found) == (kind, key)


def test_every_rule_is_exercised_and_other_comes_last() -> None:
    kinds = [rule.kind for rule in RULES]
    assert kinds[-1] == "other"
    assert len(set(kinds)) == len(kinds)
    assert set(kinds) - {kind for _, _, kind, _ in CASES} == {"crashed"}  # triage's own record
    assert all(rule.remediation and rule.title for rule in RULES)


def test_normalize_drops_marker_location_and_addresses_but_keeps_ports() -> None:
    line = "E   tests/a.py:12: RuntimeError: <Pool at 0x7f3a1c2b9d60> lost 127.0.0.1:5432"
    assert normalize(line) == "RuntimeError: <Pool at 0x...> lost 127.0.0.1:5432"


def test_evidence_is_the_headline_then_the_traceback_exception_lines() -> None:
    traceback = (
        "    def test_x():\n>       call()\n"
        "E       ConnectionRefusedError: [Errno 111] Connection refused\n\n"
        "The above exception was the direct cause of the following exception:\n"
        "E       httpx.ConnectError: [Errno 111] Connection refused\n"
        "E       assert 1 == 2\n"
    )
    assert evidence("httpx.ConnectError: [Errno 111] Connection refused", traceback) == (
        "httpx.ConnectError: [Errno 111] Connection refused\n"
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )


def test_a_failure_without_message_is_read_from_its_traceback() -> None:
    rule, key = classify(None, "x.py:1: in <module>\nE   ModuleNotFoundError: No module named 'y'")
    assert (rule.kind, key) == ("missing_module", "y")


def test_the_plugins_network_guard_is_real_network() -> None:
    rule, key = classify(
        "testing_lib.mocks.network.UnmockedRequestError: un-mocked outbound network access "
        "in a test: GET https://api.fda.gov/device/510k.json?search=DQY; mock it"
    )
    assert (rule.kind, key) == ("real_network", "api.fda.gov")
