"""Without PostgreSQL the PostgreSQL tests skip, saying how to point them at one; in CI
(REMEDIATION_REQUIRE_POSTGRES=1) they fail instead."""

from __future__ import annotations

import pytest

UNREACHABLE = "postgresql+asyncpg://app:s3cret@127.0.0.1:1/test"

PROJECT = """
from tests.database.conftest import postgres_url  # noqa: F401


def test_needs_postgres(postgres_url):
    pass
"""


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *, require: bool) -> str:
    monkeypatch.setenv("REMEDIATION_TEST_POSTGRES_URL", UNREACHABLE)
    if require:
        monkeypatch.setenv("REMEDIATION_REQUIRE_POSTGRES", "1")
    else:
        monkeypatch.delenv("REMEDIATION_REQUIRE_POSTGRES", raising=False)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_gate=PROJECT)
    result = pytester.runpytest_inprocess("-rsE")
    outcome = "errors" if require else "skipped"
    result.assert_outcomes(**{outcome: 1})
    return result.stdout.str()


def test_an_unreachable_server_skips_naming_the_variable_and_hiding_the_password(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = run(pytester, monkeypatch, require=False)
    assert "set REMEDIATION_TEST_POSTGRES_URL" in output
    assert "app:***@127.0.0.1:1" in output
    assert "s3cret" not in output


def test_ci_turns_the_skip_into_a_failure(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = run(pytester, monkeypatch, require=True)
    assert "REMEDIATION_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable" in output
