from __future__ import annotations

import os

import pytest

from testing_lib.config import TestConfiguration
from testing_lib.environment import TEST_ENV_VARS, TestEnvironment, test_environment_values


def test_values_come_from_the_configuration_and_the_secret_is_generated() -> None:
    config = TestConfiguration.model_validate(
        {
            "database": {"url": "sqlite+aiosqlite:///./t.db"},
            "services": {"redis_url": "redis://127.0.0.1:6379/15"},
        }
    )
    values = test_environment_values(config)
    assert set(values) == set(TEST_ENV_VARS)
    assert values["DATABASE_URL"] == "sqlite+aiosqlite:///./t.db"
    assert values["REDIS_URL"] == "redis://127.0.0.1:6379/15"
    assert values["TESTING"] == "true"
    assert len(values["JWT_SECRET"].encode()) >= 32
    assert values["JWT_SECRET"] != "test_secret_key"


def test_a_configured_secret_is_used_as_given() -> None:
    config = TestConfiguration.model_validate({"auth": {"jwt_secret": "s" * 40}})
    assert test_environment_values(config)["JWT_SECRET"] == "s" * 40


def test_apply_and_restore_put_every_original_back() -> None:
    environ = {"DATABASE_URL": "postgresql://prod/db", "UNRELATED": "1"}
    env = TestEnvironment(TestConfiguration(), environ)
    with env.applied():
        assert environ["DATABASE_URL"] == "sqlite+aiosqlite:///:memory:"
        assert environ["TESTING"] == "true"
    assert environ == {"DATABASE_URL": "postgresql://prod/db", "UNRELATED": "1"}


def test_restore_runs_when_the_body_raises() -> None:
    environ: dict[str, str] = {}
    with pytest.raises(RuntimeError), TestEnvironment(TestConfiguration(), environ).applied():
        raise RuntimeError("boom")
    assert environ == {}


INI = "[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = 'function'\n"


def test_plugin_sets_the_environment_before_test_modules_import(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        INI + "[tool.remediation.testing.database]\nurl = 'sqlite+aiosqlite:///./x.db'\n"
    )
    pytester.makepyfile(
        """
        import os
        URL_AT_IMPORT = os.environ.get("DATABASE_URL")

        def test_sees_test_values(setup_test_environment):
            assert URL_AT_IMPORT == "sqlite+aiosqlite:///./x.db"
            assert os.environ["TESTING"] == "true"
            assert len(os.environ["JWT_SECRET"]) >= 32
            assert setup_test_environment.values["DATABASE_URL"] == URL_AT_IMPORT
        """
    )
    before = {k: os.environ.get(k) for k in TEST_ENV_VARS}
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)
    assert {k: os.environ.get(k) for k in TEST_ENV_VARS} == before


def test_plugin_stays_out_of_projects_without_remediation_config(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(INI)
    pytester.makepyfile(
        """
        def test_inactive(setup_test_environment):
            assert setup_test_environment is None
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_invalid_testing_config_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        INI + "[tool.remediation.testing.database]\nisolation_level = 'galaxy'\n"
    )
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*[[]tool.remediation.testing.database[]].isolation_level: Input should be*"]
    )
