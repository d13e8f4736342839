"""`TestDependencyContainer`: named test services, bound to an app's overrides.

A container holds services by name (instances or lazily-called factories). Bound to a
FastAPI app, it also edits `app.dependency_overrides`, and every edit is undone, in reverse
order, when the scope that made it ends:

    container = TestDependencyContainer(app)
    container.register_service("openfda", fake_client, dependency=get_openfda_client)
    async with container.override_dependencies({"openfda": failing_client, get_cache: lambda: c}):
        ...                 # get_openfda_client -> failing_client, get_cache -> c
    # back to fake_client; get_cache as it was
    container.restore()     # undo everything the container did (the fixture does this)

Keys of `override_dependencies` are service names (the container's own lookups and every
app dependency bound to that name follow) or FastAPI dependencies (the value is the
replacement callable, exactly as in `app.dependency_overrides`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar, cast, overload

from testing_lib.di.watch import has_overrides, watch_app

T = TypeVar("T")
Dependency = Callable[..., Any]
_MISSING: Any = object()


class ServiceNotFoundError(LookupError):
    """`get_service` was asked for a name nothing was registered under."""


class OverrideScope:
    """Applies overrides on enter, undoes them in reverse order on exit (`with` or `async with`).

    The undo also runs when the body raises, so a failing test leaves nothing behind.
    """

    def __init__(self, container: TestDependencyContainer, overrides: Mapping[Any, Any]) -> None:
        self._container = container
        self._overrides = dict(overrides)
        self._mark: int | None = None

    def __enter__(self) -> TestDependencyContainer:
        if self._mark is not None:
            raise RuntimeError("this override scope is already active; create a new one")
        self._mark = self._container._depth
        try:
            for key, value in self._overrides.items():
                self._container.override(key, value)
        except BaseException:
            self._container._undo_to(self._mark)
            self._mark = None
            raise
        return self._container

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._mark is not None:
            mark, self._mark = self._mark, None
            self._container._undo_to(mark)

    async def __aenter__(self) -> TestDependencyContainer:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


class TestDependencyContainer:
    """Container for test services, optionally bound to a FastAPI app's dependency overrides."""

    __test__ = False

    def __init__(self, app: Any = None) -> None:
        if app is not None and not has_overrides(app):
            raise TypeError(
                f"{type(app).__name__} has no dependency_overrides dict: bind the container to "
                "a FastAPI app, or pass no app to use it for named services only"
            )
        self.app = app
        self._services: dict[str, Any] = {}
        self._factories: dict[str, Callable[[], Any]] = {}
        self._overrides: dict[str, Any] = {}
        self._undo: list[Callable[[], None]] = []
        if app is not None:
            watch_app(app)

    # --- registration -------------------------------------------------------------------

    def register_service(
        self, name: str, service: Any, *, dependency: Dependency | None = None
    ) -> None:
        """Register an instance; with `dependency`, the app's dependency now returns it."""
        self._services[name] = service
        self._factories.pop(name, None)
        if dependency is not None:
            self._bind(name, dependency)

    def register_factory(
        self, name: str, factory: Callable[[], Any], *, dependency: Dependency | None = None
    ) -> None:
        """Register a factory, called once on first use; `dependency` as in register_service."""
        if not callable(factory):
            raise TypeError(f"factory for {name!r} must be callable, got {type(factory).__name__}")
        self._factories[name] = factory
        self._services.pop(name, None)
        if dependency is not None:
            self._bind(name, dependency)

    @overload
    def get_service(self, name: str) -> Any: ...

    @overload
    def get_service(self, name: str, service_type: type[T]) -> T: ...

    def get_service(self, name: str, service_type: type[T] | None = None) -> Any:
        """The override for `name`, else its instance, else its factory's (cached) product."""
        if name in self._overrides:
            service = self._overrides[name]
        elif name in self._services:
            service = self._services[name]
        elif name in self._factories:
            service = self._factories[name]()
            self._services[name] = service
        else:
            known = ", ".join(sorted({*self._services, *self._factories})) or "none"
            raise ServiceNotFoundError(
                f"no service {name!r} in the container (registered: {known}); "
                "add it with register_service or register_factory"
            )
        if service_type is not None and not isinstance(service, service_type):
            raise TypeError(
                f"service {name!r} is a {type(service).__name__}, not a {service_type.__name__}"
            )
        return service

    # --- overrides ----------------------------------------------------------------------

    def override(self, key: str | Dependency, value: Any) -> None:
        """Override a service name or an app dependency until `restore()` (or the enclosing
        `override_dependencies` scope) undoes it."""
        if isinstance(key, str):
            if key not in self._services and key not in self._factories:
                raise ServiceNotFoundError(
                    f"cannot override service {key!r}: it is not registered; register it "
                    "first, or pass the dependency function itself as the key"
                )
            previous = self._overrides.get(key, _MISSING)
            self._overrides[key] = value
            self._push(self._overrides, key, previous)
            return
        if not callable(key):
            raise TypeError(f"override keys are service names or dependency callables, not {key!r}")
        overrides = self._app_overrides(f"override {_name(key)}")
        if not callable(value):
            raise TypeError(
                f"the override for {_name(key)} must be a callable FastAPI can call (it "
                f"replaces the dependency); to provide an object write `lambda: obj`, got "
                f"{type(value).__name__}"
            )
        previous = overrides.get(key, _MISSING)
        overrides[key] = value
        self._push(overrides, key, previous)

    def override_dependencies(self, overrides: Mapping[Any, Any]) -> OverrideScope:
        """Temporarily apply `overrides` (`with` or `async with`), undone in reverse order."""
        return OverrideScope(self, overrides)

    def restore(self) -> None:
        """Undo every override and binding this container made, newest first."""
        self._undo_to(0)

    @property
    def active_overrides(self) -> int:
        """How many edits are waiting to be undone."""
        return len(self._undo)

    # --- internals ----------------------------------------------------------------------

    @property
    def _depth(self) -> int:
        return len(self._undo)

    def _undo_to(self, mark: int) -> None:
        while len(self._undo) > mark:
            self._undo.pop()()

    def _push(self, mapping: dict[Any, Any], key: Any, previous: Any) -> None:
        def undo() -> None:
            if previous is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = previous

        self._undo.append(undo)

    def _app_overrides(self, action: str) -> dict[Any, Any]:
        if self.app is None:
            raise RuntimeError(
                f"cannot {action}: this container is not bound to an app; create it with "
                "TestDependencyContainer(app) (the dependency_container fixture does)"
            )
        return cast(dict[Any, Any], self.app.dependency_overrides)

    def _bind(self, name: str, dependency: Dependency) -> None:
        overrides = self._app_overrides(f"bind {_name(dependency)} to service {name!r}")

        async def provide() -> Any:
            return self.get_service(name)

        provide.__name__ = f"provide_{name}"
        previous = overrides.get(dependency, _MISSING)
        overrides[dependency] = provide
        self._push(overrides, dependency, previous)


def _name(obj: object) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname:
        return f"{module}.{qualname}" if module else str(qualname)
    return repr(obj)
