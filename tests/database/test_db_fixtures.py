"""The plugin's `isolated_db` and `test_data_factory` fixtures, as a project meets them."""

from __future__ import annotations

import re
import textwrap
import uuid

import pytest

from tests.database.conftest import MODELS_SOURCE

INI = """
[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
# in-process runs re-import nothing, so pytest cannot rewrite the already-imported plugin
filterwarnings = ["error", "ignore::pytest.PytestAssertRewriteWarning"]
"""


def project(pytester: pytest.Pytester, remediation: str = "") -> str:
    """A project with the shared models under a module name of its own; returns that name."""
    name = f"models_{uuid.uuid4().hex[:10]}"
    pytester.makepyfile(**{name: textwrap.dedent(MODELS_SOURCE)})
    table = remediation.replace("MODELS", name)
    pytester.makepyprojecttoml(INI + "[tool.remediation]\n" + table)
    pytester.syspathinsert()
    return name


def test_committed_rows_stay_in_their_test_in_both_orders(pytester: pytest.Pytester) -> None:
    models = project(pytester, 'metadata = "MODELS:Base"\n')
    head = """
        from sqlalchemy import func, select
        from MODELS import User

        async def _write_then_check(isolated_db, test_data_factory):
            assert await isolated_db.scalar(select(func.count()).select_from(User)) == 0
            await test_data_factory.create_user()
            await isolated_db.commit()
            assert await isolated_db.scalar(select(func.count()).select_from(User)) == 1
        """
    test = """
        async def test_{}(isolated_db, test_data_factory):
            await _write_then_check(isolated_db, test_data_factory)
        """
    pytester.makepyfile(
        test_ab=head.replace("MODELS", models) + test.format("a") + test.format("b"),
        test_ba=head.replace("MODELS", models) + test.format("b") + test.format("a"),
    )
    result = pytester.runpytest_inprocess("-v")
    result.stdout.fnmatch_lines(
        [
            "*test_ab.py::test_a PASSED*",
            "*test_ab.py::test_b PASSED*",
            "*test_ba.py::test_b PASSED*",
            "*test_ba.py::test_a PASSED*",
        ]
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=4)


def test_the_fresh_strategy_is_chosen_in_pyproject(pytester: pytest.Pytester) -> None:
    models = project(
        pytester,
        'metadata = "MODELS:Base"\n[tool.remediation.testing.database]\nstrategy = "fresh"\n',
    )
    pytester.makepyfile(
        f"""
        from {models} import User

        async def test_engine_per_test(isolated_db, remediation_db_manager):
            assert remediation_db_manager.strategy == "fresh"
            assert len(remediation_db_manager.engines) == 1
            isolated_db.add(User(google_id="g", email="e@example.com", name="n"))
            await isolated_db.commit()
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_a_metadata_path_that_does_not_import_names_the_path_and_the_error(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, 'metadata = "no_such_pkg.models:Base"\n')
    pytester.makepyfile("async def test_x(isolated_db):\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*[[]tool.remediation[]] metadata = 'no_such_pkg.models:Base' cannot be used: "
            "module 'no_such_pkg' is not importable*"
        ]
    )


def test_a_base_without_models_is_refused_with_the_fix(pytester: pytest.Pytester) -> None:
    project(pytester, 'metadata = "empty_base:Base"\n')
    pytester.makepyfile(
        empty_base="from sqlalchemy.orm import DeclarativeBase\n\n"
        "class Base(DeclarativeBase):\n    pass\n",
        test_x="async def test_x(isolated_db):\n    pass\n",
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*it has no tables: point it at a module that imports every*"])


def test_without_metadata_the_error_names_the_key_and_the_fixture_to_override(
    pytester: pytest.Pytester,
) -> None:
    project(pytester)
    pytester.makepyfile("async def test_x(isolated_db):\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(['*add metadata = "package.module:Base"*remediation_models*'])


def test_the_factory_seed_is_reported_on_failure_and_replays_the_same_rows(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester, 'metadata = "MODELS:Base"\n')
    pytester.makepyfile(
        """
        async def test_fails_showing_generated_values(test_data_factory):
            user = await test_data_factory.create_user()
            project = await test_data_factory.create_project(user.id)
            assert False, f"VALUES {user.email} {project.name}"
        """
    )
    monkeypatch.delenv("REMEDIATION_FACTORY_SEED", raising=False)
    first = pytester.runpytest_inprocess()
    first.assert_outcomes(failed=1)
    output = first.stdout.str()
    assert "Captured remediation factory seed setup" in output
    seed = re.search(r"replay with REMEDIATION_FACTORY_SEED=(\d+)", output)
    values = re.search(r"VALUES (\S+ .+?)$", output, re.MULTILINE)
    assert seed is not None
    assert values is not None

    monkeypatch.setenv("REMEDIATION_FACTORY_SEED", seed.group(1))
    replay = pytester.runpytest_inprocess()
    replay.assert_outcomes(failed=1)
    assert f"VALUES {values.group(1)}" in replay.stdout.str()


def test_a_bad_replay_seed_names_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester, 'metadata = "MODELS:Base"\n')
    pytester.makepyfile("async def test_x(test_data_factory):\n    pass\n")
    monkeypatch.setenv("REMEDIATION_FACTORY_SEED", "not-a-number")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*REMEDIATION_FACTORY_SEED='not-a-number' is not an integer*"])


APP = """
from fastapi import Depends, FastAPI
from sqlalchemy import func, select

from MODELS import User


async def get_session():
    raise RuntimeError("the real database must not be reached from tests")
    yield


app = FastAPI()


@app.get("/users/count")
async def count_users(session=Depends(get_session)):
    return {"users": await session.scalar(select(func.count()).select_from(User))}
"""


@pytest.mark.parametrize("strategy", ["transaction", "fresh"])
def test_the_session_dependency_is_overridden_with_the_tests_isolated_database(
    pytester: pytest.Pytester, strategy: str
) -> None:
    app_module = f"app_{uuid.uuid4().hex[:8]}"
    models = project(
        pytester,
        f'metadata = "MODELS:Base"\nsession_dependency = "{app_module}:get_session"\n'
        f'app = "{app_module}:app"\n[tool.remediation.testing.database]\n'
        f'strategy = "{strategy}"\n',
    )
    pytester.makepyfile(**{app_module: APP.replace("MODELS", models)})
    pytester.makepyfile(
        f"""
        import asyncio

        import httpx
        import pytest

        from testing_lib.exceptions import DatabaseIsolationError
        from {app_module} import app


        async def call():
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return (await client.get("/users/count")).json()


        async def test_api_sees_the_rows_the_test_committed(test_data_factory, isolated_db):
            await test_data_factory.create_user()
            await isolated_db.commit()
            assert await call() == {{"users": 1}}


        async def test_the_next_test_starts_empty(isolated_db):
            assert await call() == {{"users": 0}}


        async def test_concurrent_requests_each_get_a_session(isolated_db, test_data_factory):
            await test_data_factory.create_user()
            await isolated_db.commit()
            results = await asyncio.gather(*(call() for _ in range(10)))
            assert results == [{{"users": 1}}] * 10


        async def test_without_isolated_db_the_error_names_the_fixture():
            with pytest.raises(DatabaseIsolationError, match="request the `isolated_db` fixture"):
                await call()


        def test_overrides_are_removed_after_each_test():
            assert app.dependency_overrides != {{}}  # the guard of this very test
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=5)


def test_isolated_db_dependency_serves_apps_built_by_a_factory(pytester: pytest.Pytester) -> None:
    app_module = f"app_{uuid.uuid4().hex[:8]}"
    models = project(pytester, 'metadata = "MODELS:Base"\n')
    pytester.makepyfile(**{app_module: APP.replace("MODELS", models)})
    pytester.makepyfile(
        f"""
        import httpx

        from {app_module} import app, get_session


        async def test_own_app(isolated_db, isolated_db_dependency, test_data_factory):
            await test_data_factory.create_user()
            app.dependency_overrides[get_session] = isolated_db_dependency
            try:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                    assert (await c.get("/users/count")).json() == {{"users": 1}}
            finally:
                app.dependency_overrides.clear()
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
