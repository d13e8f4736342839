"""Pytest hooks that notice a test leaving `app.dependency_overrides` changed.

For every watched app (see `watch.py`) the overrides are compared before the test's setup and
after its teardown. Changes made by class/module/session-scoped fixtures (while they set up
or are finalized) are theirs, not the test's, and are ignored; so are apps first created by
the test itself. What remains is a leak: the next test would run against overrides it did
not ask for. The leak is reported with the test that made it, then undone.

Severity, from `--remediation-override-leaks` or the ini option `remediation_override_leaks`:
`warn` (default: a `DependencyOverrideLeakWarning`, which `filterwarnings = error` turns into
a teardown error), `error` (a teardown error) or `off`. With `REMEDIATION_OVERRIDES_FILE` set
(the final_validation check does), each leak is also appended there as one JSON line.

PYTEST_DONT_REWRITE: loaded through `pytest_plugins` of testing_lib.plugin, possibly after
an import elsewhere in the library; it holds no test assertions to rewrite.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

import pytest

from testing_lib.di.watch import app_label, has_overrides, watch_app, watched_apps
from testing_lib.project_settings import project_settings

OPTION: Final = "remediation_override_leaks"
RECORD_ENV: Final = "REMEDIATION_OVERRIDES_FILE"
Severity = Literal["warn", "error", "off"]
_SEVERITIES: Final = ("warn", "error", "off")
_MISSING: Any = object()

Snapshot = dict[int, dict[Any, Any]]


class DependencyOverrideLeakWarning(pytest.PytestWarning):
    """A test left `app.dependency_overrides` different from how it found them."""


class DependencyOverrideLeakError(AssertionError):
    """A test left `app.dependency_overrides` changed (severity `error`)."""

    def __init__(self, leaks: list[OverrideLeak]) -> None:
        self.leaks = leaks
        super().__init__("; ".join(leak.describe() for leak in leaks))


@dataclass(frozen=True)
class OverrideLeak:
    nodeid: str
    app: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [
            f"{label} {', '.join(names)}"
            for label, names in (
                ("added", self.added),
                ("replaced", self.changed),
                ("removed", self.removed),
            )
            if names
        ]
        return (
            f"{self.nodeid} left dependency_overrides of {self.app} changed ({'; '.join(parts)}); "
            "they were restored for the next test. Undo overrides in the fixture that sets "
            "them (after `yield`), or use TestDependencyContainer / the dependency_container "
            "fixture, which restores them even when the test fails"
        )


def _name(key: object) -> str:
    module = getattr(key, "__module__", None)
    qualname = getattr(key, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else repr(key)


class _Tracker:
    """The override history of one test, from setup start to teardown end."""

    def __init__(self, configured: str | None) -> None:
        self.configured = configured
        self.baseline: Snapshot = {}
        self.last: Snapshot = {}
        self.apps: dict[int, Any] = {}
        self.ignored: set[int] = set()
        self.excluded: dict[int, set[Any]] = {}
        self.actors: list[str] = []

    def _configured_app(self) -> Any:
        if not self.configured:
            return None
        module_name, _, attribute = self.configured.partition(":")
        value: Any = sys.modules.get(module_name)
        for part in attribute.split("."):
            if value is None:
                return None
            value = getattr(value, part, None)
        if has_overrides(value):
            watch_app(value, label=self.configured)
            return value
        return None

    def _current(self) -> dict[int, Any]:
        apps = watched_apps()
        configured = self._configured_app()
        if configured is not None:
            apps[id(configured)] = configured
        return apps

    def start(self) -> None:
        apps = self._current()
        self.apps = apps
        self.baseline = {key: dict(app.dependency_overrides) for key, app in apps.items()}
        self.last = {key: dict(value) for key, value in self.baseline.items()}

    def observe(self, scope: str) -> None:
        """Attribute the changes since the last observation to a fixture of `scope`."""
        higher = scope != "function"
        configured = self._configured_app()
        for key, app in self._current().items():
            if key in self.ignored:
                continue
            now = dict(app.dependency_overrides)
            if key not in self.baseline:
                if higher or app is configured:
                    # Created by a wider-scoped fixture (or the configured app, first
                    # imported now): what it holds at this point is its starting state.
                    self.apps[key] = app
                    self.baseline[key] = {} if (app is configured and not higher) else now
                    self.last[key] = dict(self.baseline[key])
                else:
                    self.ignored.add(key)  # made by this test; gone with it
                    continue
            if higher:
                before = self.last.get(key, {})
                self.excluded.setdefault(key, set()).update(
                    dep
                    for dep in before.keys() | now.keys()
                    if before.get(dep, _MISSING) is not now.get(dep, _MISSING)
                )
            self.last[key] = now

    def leaks(self, nodeid: str) -> list[OverrideLeak]:
        found: list[OverrideLeak] = []
        for key, before in self.baseline.items():
            app = self.apps.get(key)
            if app is None:
                continue
            after = app.dependency_overrides
            excluded = self.excluded.get(key, set())
            added, changed, removed = [], [], []
            for dep in before.keys() | after.keys():
                if dep in excluded:
                    continue
                old, new = before.get(dep, _MISSING), after.get(dep, _MISSING)
                if old is new:
                    continue
                if old is _MISSING:
                    added.append(_name(dep))
                elif new is _MISSING:
                    removed.append(_name(dep))
                else:
                    changed.append(_name(dep))
                if old is _MISSING:
                    after.pop(dep, None)
                else:
                    after[dep] = old
            if added or changed or removed:
                found.append(
                    OverrideLeak(
                        nodeid=nodeid,
                        app=app_label(app),
                        added=sorted(added),
                        changed=sorted(changed),
                        removed=sorted(removed),
                    )
                )
        return found


_TRACKER = pytest.StashKey["_Tracker | None"]()


def _tracker(config: pytest.Config) -> _Tracker | None:
    return config.stash.get(_TRACKER, None)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("remediation")
    group.addoption(
        "--remediation-override-leaks",
        dest=OPTION,
        choices=_SEVERITIES,
        default=None,
        help="what to do when a test leaves app.dependency_overrides changed: "
        "warn (default), error or off",
    )
    parser.addini(
        OPTION,
        default="warn",
        help="warn | error | off: a test that leaves app.dependency_overrides changed",
    )


def severity(config: pytest.Config) -> Severity:
    raw = config.getoption(OPTION, default=None) or config.getini(OPTION) or "warn"
    value = str(raw).strip().lower()
    if value not in _SEVERITIES:
        raise pytest.UsageError(
            f"{OPTION} = {raw!r} is not one of {', '.join(_SEVERITIES)}: fix the ini option "
            "or --remediation-override-leaks"
        )
    return value  # type: ignore[return-value]


def _enabled(config: pytest.Config) -> bool:
    return severity(config) != "off" or bool(os.environ.get(RECORD_ENV))


def _record(leaks: list[OverrideLeak]) -> None:
    path = os.environ.get(RECORD_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as stream:
        for leak in leaks:
            stream.write(json.dumps(asdict(leak)) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    severity(config)  # a bad value is a usage error before any test runs
    path = os.environ.get(RECORD_ENV)
    if path and not hasattr(config, "workerinput"):
        with open(path, "a", encoding="utf-8") as stream:  # tells the check the detector ran
            stream.write(json.dumps({"event": "session_start", "pid": os.getpid()}) + "\n")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    item.config.stash[_TRACKER] = None
    if _enabled(item.config):
        tracker = _Tracker(project_settings(item.config).app)
        tracker.start()
        item.config.stash[_TRACKER] = tracker
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    tracker = _tracker(request.config)
    if tracker is None:
        return (yield)
    tracker.observe(tracker.actors[-1] if tracker.actors else "function")
    tracker.actors.append(fixturedef.scope)
    try:
        return (yield)
    finally:
        tracker.observe(tracker.actors.pop())


def pytest_fixture_post_finalizer(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> None:
    tracker = _tracker(request.config)
    if tracker is not None:
        tracker.observe(fixturedef.scope)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    tracker = _tracker(item.config)
    if tracker is not None:
        tracker.observe("function")
    try:
        return (yield)
    finally:
        if tracker is not None:
            tracker.observe("function")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    tracker = _tracker(item.config)
    if tracker is not None:
        tracker.observe("function")
    failed = False
    try:
        return (yield)
    except BaseException:
        failed = True
        raise
    finally:
        item.config.stash[_TRACKER] = None
        if tracker is not None:
            _report(item, tracker, teardown_failed=failed)


def _report(item: pytest.Item, tracker: _Tracker, *, teardown_failed: bool) -> None:
    leaks = tracker.leaks(item.nodeid)  # also undoes them
    if not leaks:
        return
    _record(leaks)
    level = severity(item.config)
    if level == "off" or teardown_failed:
        return  # the teardown error is already reported; do not mask it
    if level == "error":
        raise DependencyOverrideLeakError(leaks)
    for leak in leaks:
        warnings.warn(DependencyOverrideLeakWarning(leak.describe()), stacklevel=1)
