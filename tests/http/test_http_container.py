"""TestDependencyContainer: named services, overrides bound to a FastAPI app, exact restores."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from testing_lib.di import ServiceNotFoundError, TestDependencyContainer
from testing_lib.http import import_test_client


def get_client() -> str:
    return "real client"


def get_cache() -> str:
    return "real cache"


def test_services_come_from_instances_then_factories_created_once() -> None:
    container = TestDependencyContainer()
    made: list[int] = []
    container.register_service("cache", {"kind": "dict"})
    container.register_factory("client", lambda: made.append(1) or object())

    first = container.get_service("client")

    assert container.get_service("cache") == {"kind": "dict"}
    assert container.get_service("client") is first
    assert made == [1]


def test_an_unknown_service_names_what_is_registered() -> None:
    container = TestDependencyContainer()
    container.register_service("cache", object())

    with pytest.raises(ServiceNotFoundError, match=r"no service 'db'.*registered: cache"):
        container.get_service("db")


def test_get_service_checks_the_requested_type() -> None:
    container = TestDependencyContainer()
    container.register_service("cache", "a string")

    assert container.get_service("cache", str) == "a string"
    with pytest.raises(TypeError, match="service 'cache' is a str, not a int"):
        container.get_service("cache", int)


@pytest.mark.asyncio
async def test_overrides_are_restored_in_reverse_order_even_when_the_body_fails() -> None:
    app = FastAPI()
    app.dependency_overrides[get_cache] = original = lambda: "project override"
    container = TestDependencyContainer(app)

    seen: list[str] = []

    async def failing_test() -> None:
        async with container.override_dependencies(
            {get_client: lambda: "fake client", get_cache: lambda: "fake cache"}
        ):
            seen.append(app.dependency_overrides[get_client]())
            raise RuntimeError("test failed")

    with pytest.raises(RuntimeError, match="test failed"):
        await failing_test()

    assert seen == ["fake client"]
    assert app.dependency_overrides == {get_cache: original}


def test_nested_scopes_undo_only_their_own_changes() -> None:
    app = FastAPI()
    container = TestDependencyContainer(app)

    with container.override_dependencies({get_client: lambda: "outer"}):
        with container.override_dependencies({get_client: lambda: "inner"}):
            assert app.dependency_overrides[get_client]() == "inner"
        assert app.dependency_overrides[get_client]() == "outer"

    assert app.dependency_overrides == {}


def test_a_service_bound_to_a_dependency_follows_name_overrides() -> None:
    app = FastAPI()
    container = TestDependencyContainer(app)
    container.register_service("client", "fake client", dependency=get_client)
    provider = app.dependency_overrides[get_client]

    with container.override_dependencies({"client": "failing client"}):
        assert container.get_service("client") == "failing client"
    assert container.get_service("client") == "fake client"
    assert app.dependency_overrides[get_client] is provider

    container.restore()
    assert app.dependency_overrides == {}


def test_a_bound_service_is_what_the_app_receives() -> None:
    from fastapi import Depends

    app = FastAPI()

    @app.get("/")
    def read(client: Any = Depends(get_client)) -> dict[str, Any]:  # noqa: B008
        return {"client": client}

    container = TestDependencyContainer(app)
    container.register_service("client", "fake client", dependency=get_client)
    with container.override_dependencies({"client": "failing client"}):
        answered = import_test_client()(app).get("/").json()

    assert answered == {"client": "failing client"}


def test_overriding_an_unregistered_name_says_to_register_it() -> None:
    container = TestDependencyContainer(FastAPI())

    with pytest.raises(ServiceNotFoundError, match="register it first"):
        container.override("client", object())


def test_a_non_callable_dependency_override_is_refused_with_the_fix() -> None:
    container = TestDependencyContainer(FastAPI())

    with pytest.raises(TypeError, match="write `lambda: obj`"):
        container.override(get_client, "not callable")


def test_a_container_without_an_app_cannot_touch_dependencies() -> None:
    container = TestDependencyContainer()

    with pytest.raises(RuntimeError, match=r"TestDependencyContainer\(app\)"):
        container.override(get_client, lambda: "x")


def test_only_apps_with_dependency_overrides_can_be_bound() -> None:
    with pytest.raises(TypeError, match="has no dependency_overrides"):
        TestDependencyContainer(object())


def test_a_failed_scope_entry_leaves_nothing_applied() -> None:
    app = FastAPI()
    container = TestDependencyContainer(app)

    with (
        pytest.raises(TypeError),
        container.override_dependencies({get_client: lambda: "ok", get_cache: "not callable"}),
    ):
        pass  # pragma: no cover - entering fails

    assert app.dependency_overrides == {}
