"""TestClientFactory and APITestUtils on small apps, without the plugin's fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from testing_lib.auth import AuthTestFixtures
from testing_lib.config.testing import TestHTTPConfig
from testing_lib.http import APIAssertionError, APITestUtils, TestClientFactory
from tests.http.conftest import demo_pyproject

SECRET = "s" * 48


def make_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {"resource": "opened by the lifespan"}

    app = FastAPI(lifespan=lifespan)

    @app.get("/state")
    async def state(request: Request) -> dict[str, Any]:
        return {"resource": request.state.resource}

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        return {"authorization": request.headers.get("authorization")}

    @app.get("/hang")
    async def hang() -> None:
        await asyncio.Event().wait()

    @app.get("/redirect")
    async def redirect() -> Any:
        from fastapi.responses import RedirectResponse

        return RedirectResponse("/state")

    return app


@pytest.mark.asyncio
async def test_the_async_client_runs_the_lifespan_and_passes_its_state() -> None:
    async with TestClientFactory(make_app()).create_client() as client:
        response = await client.get("/state")

    assert response.json() == {"resource": "opened by the lifespan"}


@pytest.mark.asyncio
async def test_the_authenticated_client_sends_a_token_signed_with_the_secret() -> None:
    auth = AuthTestFixtures(SECRET)
    factory = TestClientFactory(make_app(), auth=auth)

    async with factory.create_authenticated_client({"id": 7}) as client:
        header = (await client.get("/whoami")).json()["authorization"]

    assert auth.decode(header.removeprefix("Bearer "))["sub"] == "7"


@pytest.mark.asyncio
async def test_a_hung_endpoint_fails_with_a_timeout_naming_the_setting() -> None:
    config = TestHTTPConfig(timeout_seconds=0.05)

    async with TestClientFactory(make_app(), http_config=config).create_client() as client:
        with pytest.raises(httpx.ReadTimeout, match=r"GET http://testserver/hang.*timeout_seconds"):
            await client.get("/hang")


@pytest.mark.asyncio
async def test_redirects_follow_the_configuration() -> None:
    app = make_app()
    following = TestClientFactory(app).create_client()
    staying = TestClientFactory(app, http_config=TestHTTPConfig(follow_redirects=False))

    async with following, staying.create_client() as not_following:
        assert (await following.get("/redirect")).status_code == 200
        assert (await not_following.get("/redirect")).status_code == 307


@pytest.mark.asyncio
async def test_an_app_without_lifespan_support_still_answers() -> None:
    async def bare_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise RuntimeError("no lifespan here")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async with TestClientFactory(bare_app).create_client() as client:
        assert (await client.get("/")).status_code == 204


def test_the_sync_test_client_runs_the_lifespan_without_warnings() -> None:
    with TestClientFactory(make_app()).create_sync_client() as client:
        assert client.get("/state").json() == {"resource": "opened by the lifespan"}


def _response(status: int, body: Any, path: str = "/things/1") -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("GET", f"http://t{path}"))


def test_a_wrong_status_shows_request_status_body_and_expectation() -> None:
    response = _response(404, {"detail": "thing 1 not found"})

    with pytest.raises(APIAssertionError) as excinfo:
        APITestUtils.assert_success_response(response)

    message = str(excinfo.value)
    assert "expected status 200, got 404" in message
    assert "GET /things/1 -> 404" in message
    assert '"detail": "thing 1 not found"' in message


def test_error_codes_are_found_in_the_usual_places() -> None:
    fastapi_style = _response(409, {"detail": {"error_code": "conflict"}})
    envelope = _response(409, {"error": {"code": "conflict", "message": "taken"}})

    APITestUtils.assert_error_response(fastapi_style, 409, "conflict")
    assert APITestUtils.assert_error_response(envelope, 409, "conflict")["error"]["message"]
    with pytest.raises(APIAssertionError, match="expected error code 'gone', found 'conflict'"):
        APITestUtils.assert_error_response(envelope, 409, "gone")


def test_validation_errors_match_a_field_or_a_dotted_tail() -> None:
    body = {"detail": [{"loc": ["body", "user", "email"], "msg": "bad", "type": "value_error"}]}
    response = _response(422, body)

    APITestUtils.assert_validation_error(response, "email")
    APITestUtils.assert_validation_error(response, "user.email")
    with pytest.raises(APIAssertionError, match="field 'name'; the errors name body.user.email"):
        APITestUtils.assert_validation_error(response, "name")


def test_a_non_json_body_is_reported_as_such() -> None:
    response = httpx.Response(200, text="<html>", request=httpx.Request("GET", "http://t/"))

    with pytest.raises(APIAssertionError, match="the body is not JSON"):
        APITestUtils.assert_success_response(response)


def test_failures_point_at_the_test_not_at_the_helper(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject(None))
    pytester.makepyfile(
        """
        import httpx
        from testing_lib.http import APITestUtils

        def test_status():
            request = httpx.Request("GET", "http://t/x")
            response = httpx.Response(500, json={"oops": 1}, request=request)
            APITestUtils.assert_success_response(response, 201)
        """
    )

    result = pytester.runpytest("-p", "no:remediation")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*APITestUtils.assert_success_response(response, 201)*"])
    result.stdout.no_fnmatch_line("*testing_lib/http/assertions.py*")
