"""The plugin's HTTP, auth and mock fixtures as a project meets them (pytester projects)."""

from __future__ import annotations

import pytest

from tests.http.conftest import DEMO_APP, demo_pyproject


def test_client_fixtures_call_the_configured_app_with_its_lifespan_and_tokens(
    demo_project: pytest.Pytester,
) -> None:
    demo_project.makepyfile(
        test_clients="""
        from testing_lib.http import APITestUtils

        async def test_async_client_runs_the_lifespan(async_client):
            body = APITestUtils.assert_success_response(await async_client.get("/health"))
            assert body == {"status": "ok", "greeting": "hello", "started": True}

        async def test_without_a_token_the_route_refuses(async_client):
            APITestUtils.assert_error_response(await async_client.get("/me"), 401)

        async def test_authenticated_client_sends_a_valid_token(authenticated_client):
            body = APITestUtils.assert_success_response(await authenticated_client.get("/me"))
            assert body == {"sub": "test_user", "role": None}

        async def test_admin_client_carries_the_admin_claims(admin_client, authenticated_client):
            assert (await admin_client.get("/admin")).json() == {"ok": True}
            APITestUtils.assert_error_response(await authenticated_client.get("/admin"), 403)

        def test_a_sync_suite_gets_starlettes_test_client(test_client):
            assert test_client.get("/health").json()["started"] is True
        """
    )

    result = demo_project.runpytest()

    result.assert_outcomes(passed=5)


def test_overrides_from_the_project_reach_the_app_and_are_undone_after_each_test(
    demo_project: pytest.Pytester,
) -> None:
    demo_project.makeconftest(
        """
        import pytest
        from demo_app import get_greeting

        @pytest.fixture
        def remediation_dependency_overrides():
            return {get_greeting: lambda: "from the test"}
        """
    )
    demo_project.makepyfile(
        test_overrides="""
        from demo_app import app, get_greeting

        async def test_the_override_is_used(async_client):
            assert (await async_client.get("/health")).json()["greeting"] == "from the test"

        async def test_a_container_scope_overrides_on_top_and_restores(
            async_client, dependency_container
        ):
            async with dependency_container.override_dependencies({get_greeting: lambda: "inner"}):
                assert (await async_client.get("/health")).json()["greeting"] == "inner"
            assert (await async_client.get("/health")).json()["greeting"] == "from the test"

        def test_nothing_is_left_on_the_app():
            assert app.dependency_overrides == {}
        """
    )

    result = demo_project.runpytest("-p", "no:randomly")

    result.assert_outcomes(passed=3)


def test_mocked_current_user_replaces_the_auth_dependency_for_one_test(
    demo_project: pytest.Pytester,
) -> None:
    demo_project.makepyfile(
        test_current_user="""
        from demo_app import app, get_current_user

        async def test_mocked(async_client, auth_fixtures):
            user = auth_fixtures.mock_current_user(
                {"sub": "mocked", "role": "admin"}, dependency=get_current_user
            )
            assert user.role == "admin"
            assert (await async_client.get("/admin")).json() == {"ok": True}

        async def test_real_again(async_client):
            assert get_current_user not in app.dependency_overrides
            assert (await async_client.get("/admin")).status_code == 401
        """
    )

    result = demo_project.runpytest("-p", "no:randomly")

    result.assert_outcomes(passed=2)


def test_every_invalid_token_variant_is_refused_by_a_verifying_app(
    demo_project: pytest.Pytester,
) -> None:
    demo_project.makepyfile(
        test_variants="""
        import pytest
        from testing_lib.auth import AuthTestFixtures

        VARIANTS = AuthTestFixtures().invalid_auth_variants()

        @pytest.mark.parametrize("name", sorted(VARIANTS))
        async def test_refused(async_client, auth_fixtures, name):
            headers = auth_fixtures.invalid_auth_variants()[name]
            assert (await async_client.get("/me", headers=headers)).status_code == 401
        """
    )

    result = demo_project.runpytest()

    result.assert_outcomes(passed=9)


def test_an_app_path_that_does_not_import_is_an_error_naming_the_path(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject('app = "no_such_module:app"\n'))
    pytester.makepyfile(test_x="async def test_x(async_client):\n    pass\n")

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*[[]tool.remediation[]] app = 'no_such_module:app' cannot be used: module*"]
    )


def test_a_project_without_an_app_is_told_how_to_configure_one(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject(""))
    pytester.makepyfile(test_x="async def test_x(async_client):\n    pass\n")

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(['*no app to test: add app = "package.module:app"*'])


def test_an_unmocked_outbound_request_fails_the_test_naming_the_url(
    demo_project: pytest.Pytester,
) -> None:
    demo_project.makepyfile(
        test_network="""
        import httpx

        def test_calls_openfda():
            httpx.get("https://api.fda.gov/device/510k.json?limit=1")

        def test_swallows_the_refusal():
            try:
                httpx.get("https://example.org/")
            except AssertionError:
                pass
        """
    )

    result = demo_project.runpytest()

    result.assert_outcomes(failed=1, passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_swallows_the_refusal*",
            "*the test reached for the network*GET https://example.org/*",
            "*UnmockedRequestError: un-mocked outbound network access in a test: "
            "GET https://api.fda.gov/device/510k.json?limit=1*",
        ]
    )


def test_the_openfda_mock_and_fakeredis_are_fresh_in_every_test(
    demo_project: pytest.Pytester,
) -> None:
    demo_project.makepyfile(
        test_services="""
        import httpx
        import pytest

        @pytest.mark.parametrize("run", [1, 2])
        async def test_fresh(mock_openfda_service, mock_redis, run):
            assert await mock_redis.get("seen") is None
            await mock_redis.set("seen", "yes")
            assert mock_openfda_service.call_count() == 0
            async with httpx.AsyncClient() as http:
                response = await http.get(
                    "https://api.fda.gov/device/510k.json",
                    params={"search": 'product_code:"DQY"', "limit": 2},
                )
            assert response.json()["meta"]["results"]["limit"] == 2
            assert mock_openfda_service.call_count("510k") == 1

        def test_the_auth_service_mock_signs_and_verifies(mock_auth_service):
            import asyncio
            token = mock_auth_service.create_token()
            assert asyncio.run(mock_auth_service.verify_token(token)) is True
            assert asyncio.run(mock_auth_service.verify_token("forged")) is False
            mock_auth_service.create_token.assert_called_once()
        """
    )

    result = demo_project.runpytest()

    result.assert_outcomes(passed=3)


def test_a_project_without_the_table_gets_no_network_guard(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject(None))
    pytester.makepyfile(
        test_plain="""
        def test_guard_is_off(remediation_network_guard):
            assert remediation_network_guard is None
        """
    )

    pytester.runpytest().assert_outcomes(passed=1)


# --- dependency-override leaks ----------------------------------------------------------------

LEAKY = """
from demo_app import app, get_greeting

def test_leaks_an_override():
    app.dependency_overrides[get_greeting] = lambda: "leaked"

def test_next_test_starts_clean():
    assert get_greeting not in app.dependency_overrides
"""


def test_a_leaked_override_is_a_warning_naming_the_test_and_is_undone(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject(strict=False))
    pytester.makepyfile(demo_app=DEMO_APP, test_leaky=LEAKY)

    result = pytester.runpytest("-p", "no:randomly")

    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*DependencyOverrideLeakWarning: test_leaky.py::test_leaks_an_override left "
            "dependency_overrides of demo_app:app changed (added demo_app.get_greeting)*"
        ]
    )


def test_a_leaked_override_is_an_error_when_configured(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject(strict=False))
    pytester.makepyfile(demo_app=DEMO_APP, test_leaky=LEAKY)

    result = pytester.runpytest("-p", "no:randomly", "-o", "remediation_override_leaks=error")

    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks_an_override*",
            "*DependencyOverrideLeakError: test_leaky.py::test_leaks_an_override left*",
        ]
    )


def test_overrides_owned_by_wider_scoped_fixtures_are_not_leaks(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject(strict=False))
    pytester.makepyfile(
        demo_app=DEMO_APP,
        test_scoped="""
        import pytest
        from demo_app import app, get_greeting

        @pytest.fixture(scope="module")
        def module_override():
            app.dependency_overrides[get_greeting] = lambda: "module"
            yield
            del app.dependency_overrides[get_greeting]

        @pytest.fixture
        def function_override():
            previous = app.dependency_overrides[get_greeting]
            app.dependency_overrides[get_greeting] = lambda: "function"
            yield
            app.dependency_overrides[get_greeting] = previous

        def test_first(module_override):
            assert get_greeting in app.dependency_overrides

        def test_second(module_override, function_override):
            assert app.dependency_overrides[get_greeting]() == "function"

        def test_last(module_override):
            pass
        """,
    )

    result = pytester.runpytest("-p", "no:randomly", "-o", "remediation_override_leaks=error")

    result.assert_outcomes(passed=3)


def test_a_bad_leak_setting_is_a_usage_error_naming_the_values(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject(strict=False))

    result = pytester.runpytest("-o", "remediation_override_leaks=loud")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*remediation_override_leaks = 'loud' is not one of warn*"])


def test_a_respx_router_started_by_a_session_fixture_keeps_answering(
    demo_project: pytest.Pytester,
) -> None:
    demo_project.makeconftest(
        """
        import httpx
        import pytest
        import respx

        @pytest.fixture(scope="session", autouse=True)
        def partner_api():
            with respx.mock(assert_all_called=False) as router:
                router.get("https://partner.example/ping").respond(json={"pong": True})
                router.route().pass_through()
                yield router
        """
    )
    demo_project.makepyfile(
        test_partner="""
        import httpx
        import pytest
        from testing_lib.mocks import UnmockedRequestError, expect_refusals

        def test_the_mocked_partner_answers():
            assert httpx.get("https://partner.example/ping").json() == {"pong": True}

        def test_what_respx_passes_through_is_refused_at_the_socket():
            with expect_refusals(), pytest.raises(
                UnmockedRequestError, match="DNS look-up of api.fda.gov:443"
            ):
                httpx.get("https://api.fda.gov/device/510k.json")
        """
    )

    result = demo_project.runpytest("-p", "no:randomly")

    result.assert_outcomes(passed=2)
