"""State-leak detection for the order plugin: what a test changed and did not restore.

Part of the ``remediation_order`` plugin (it imports this module by name, from the same
folder on the target's PYTHONPATH); standard library and pytest only, Python 3.9 syntax.
Before and after each test the tracker snapshots the state a test can leave behind:
environment variables, cwd, ``sys.path``, module globals of the target's own modules,
``sys.path``, FastAPI ``dependency_overrides``, open files, threads, ``random`` state, SQLite row
counts and the files under the temp folder (a fixed path there outlives the test); what
differs is written as ``leak`` events through the recorder it is given.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
from typing import Any

import pytest
from remediation_order_diff import GONE, diff  # type: ignore[import-not-found]

_SCALARS = (int, float, str, bytes, bool, type(None), complex)
_TEMP_DEPTH = 3  # folders below the temp folder that are listed
_TEMP_ENTRIES = 300  # entries listed at most: a crowded shared /tmp is not walked whole
_CONTAINERS = (list, dict, set, frozenset, tuple, bytearray)


def _item(value: Any) -> Any:
    return value if isinstance(value, _SCALARS) else ("id", id(value))


def _fingerprint(value: Any) -> Any:
    """Cheap identity-and-content summary: changes when the value is replaced or mutated
    (scalars, small containers' items, a plain object's attributes, one level deep)."""
    if isinstance(value, _SCALARS):
        if isinstance(value, (str, bytes)) and len(value) > 200:
            return ("v", hash(value))
        return ("v", value)
    if isinstance(value, _CONTAINERS):
        if len(value) > 64:
            return ("c", id(value), len(value))
        if isinstance(value, dict):
            items: Any = tuple((_item(k), _item(v)) for k, v in value.items())
        elif isinstance(value, (set, frozenset)):
            items = tuple(sorted(repr(_item(v)) for v in value))
        else:
            items = tuple(_item(v) for v in value)
        return ("c", id(value), items)
    if callable(value) or isinstance(value, type):
        return ("i", id(value))
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict) and len(attributes) <= 64:
        return ("o", id(value), tuple((k, _item(v)) for k, v in attributes.items()))
    return ("i", id(value))


def _interesting(name: str, value: Any) -> bool:
    """Globals worth watching: everything but imported modules and the tests themselves.

    Functions and classes are watched by identity, so rebinding one (a patched service
    function left in place) counts as a change.
    """
    if isinstance(value, type(sys)) or name.startswith(("test", "Test", "__", "@")):
        return False
    return True


def _cwd() -> str:
    """The working directory; a folder deleted under the process (a test that chdirs into a
    temporary folder which is then removed) is reported, not raised."""
    try:
        return os.getcwd()
    except OSError:
        try:
            former = os.readlink("/proc/self/cwd")
        except OSError:
            former = "?"
        suffix = " (deleted)"
        return str(GONE) + (former[: -len(suffix)] if former.endswith(suffix) else former)


class LeakTracker:
    """Snapshots cheap process state around each test and reports what stayed changed."""

    def __init__(self, rootdir: str, recorder: Any) -> None:
        self._root = os.path.realpath(rootdir) + os.sep
        self._recorder = recorder
        self._fd_dir = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else None
        self._sqlite_files = self._find_sqlite_files()
        self._before: dict[str, Any] = {}
        self._inside: dict[str, bool] = {}
        self._last: dict[str, Any] | None = None
        self._modules: list[tuple[str, Any]] | None = None
        self._live: dict[str, Any] = {}  # higher-scoped fixtures made, by key
        self._class_names: dict[int, tuple[int, list[str]]] = {}  # class -> data attributes
        self._made: dict[str, Any] = {}  # fixtures made during the current test
        self._modules_seen = 0
        self._module_names: dict[
            int, tuple[int, list[str]]
        ] = {}  # module name -> loaded from under the rootdir

    def _target_modules(self) -> list[Any]:
        """Modules loaded from files under the rootdir (outside site-packages).

        sys.modules is walked whole only when its size changed (a test imported something);
        otherwise the project's modules are checked to still be the same objects (a test that
        deletes a package from sys.modules and imports it again keeps the size).
        """
        if self._modules is not None and self._modules_seen == len(sys.modules):
            entries = sys.modules
            if all(entries.get(name) is module for name, module in self._modules):
                return [module for _, module in self._modules]
        modules = []
        for name, module in list(sys.modules.items()):
            inside = self._inside.get(name)
            if inside is None:
                path = getattr(module, "__file__", None)
                inside = bool(
                    path
                    and "site-packages" not in path
                    and os.path.realpath(path).startswith(self._root)
                )
                self._inside[name] = inside
            if inside:
                modules.append((name, module))
        self._modules, self._modules_seen = modules, len(sys.modules)
        return [module for _, module in modules]

    def _module_ids(self) -> dict[str, int]:
        """The project's entries of sys.modules: name -> identity of the module object."""
        self._target_modules()
        return {name: id(module) for name, module in self._modules or ()}

    def _find_sqlite_files(self) -> list[str]:
        found = []
        root = self._root.rstrip(os.sep)
        for folder in (root, os.path.join(root, "tests")):
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for name in names:
                if name.endswith((".db", ".sqlite", ".sqlite3")):
                    found.append(os.path.join(folder, name))
        return found

    def _row_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        if not self._sqlite_files:
            return counts
        import sqlite3

        for path in self._sqlite_files:
            try:
                connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
            except sqlite3.Error:
                continue
            try:
                tables = [
                    row[0]
                    for row in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type='table' "
                        "AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                for table in tables:
                    quoted = '"' + table.replace('"', '""') + '"'
                    (count,) = connection.execute(
                        "SELECT count(*) FROM " + quoted  # noqa: S608  a quoted table name
                    ).fetchone()
                    counts[f"{os.path.basename(path)}:{table}"] = int(count)
            except sqlite3.Error:
                pass
            finally:
                connection.close()
        return counts

    def _overrides(self) -> dict[str, list[str]]:
        if "fastapi" not in sys.modules:
            return {}
        fastapi = sys.modules["fastapi"]
        app_type = getattr(fastapi, "FastAPI", None)
        if app_type is None:
            return {}
        found: dict[str, list[str]] = {}
        seen: set[int] = set()  # an app imported into other modules is reported once
        for module in self._target_modules():
            for name, value in list(vars(module).items()):
                if isinstance(value, app_type) and id(value) not in seen:
                    seen.add(id(value))
                    overrides = getattr(value, "dependency_overrides", {}) or {}
                    key = f"{module.__name__}:{name}"
                    found[key] = sorted(getattr(d, "__qualname__", repr(d)) for d in overrides)
        return found

    def _names(self, module: Any) -> list[str]:
        """The module's data globals (not functions, classes or modules), cached until the
        module's namespace changes size."""
        namespace = vars(module)
        cached = self._module_names.get(id(module))
        if cached is not None and cached[0] == len(namespace):
            return cached[1]
        names = [name for name, value in list(namespace.items()) if _interesting(name, value)]
        self._module_names[id(module)] = (len(namespace), names)
        return names

    def _globals(self) -> dict[tuple[str, str], Any]:
        snapshot: dict[tuple[str, str], Any] = {}
        for module in self._target_modules():
            namespace = vars(module)
            module_name = getattr(module, "__name__", "?")
            for name in self._names(module):
                if name not in namespace:
                    continue
                value = namespace[name]
                snapshot[(module_name, name)] = _fingerprint(value)
                if isinstance(value, type) and getattr(value, "__module__", None) == module_name:
                    # a settings class: its own data attributes, which a test may reassign
                    attributes = vars(value)
                    for attribute in self._data_attributes(value):
                        if attribute in attributes:
                            key = (module_name, f"{name}.{attribute}")
                            snapshot[key] = _fingerprint(attributes[attribute])
        return snapshot

    def _data_attributes(self, cls: type) -> list[str]:
        """A class's own data attributes (not methods or dunders), cached until its
        namespace changes size: a class with many methods is not walked every test."""
        attributes = vars(cls)
        cached = self._class_names.get(id(cls))
        if cached is not None and cached[0] == len(attributes):
            return cached[1]
        names = [
            attribute
            for attribute, held in list(attributes.items())
            if not attribute.startswith("__") and not callable(held)
        ]
        self._class_names[id(cls)] = (len(attributes), names)
        return names

    def _fds(self) -> dict[str, str]:
        """Open descriptors and their targets (targets of numbers seen last time are reused)."""
        if self._fd_dir is None:
            return {}
        known = self._last["fds"] if self._last else {}
        fds: dict[str, str] = {}
        for name in os.listdir(self._fd_dir):
            target = known.get(name)
            if target is None:
                try:
                    target = os.readlink(os.path.join(self._fd_dir, name))
                except OSError:
                    continue
            fds[name] = target
        return fds

    def _temp_files(self) -> dict[str, tuple[int, int, int]]:
        """Entries under the temp folder: relative path -> (inode, size, mtime).

        pytest's own ``tmp_path`` folders (``pytest-of-*``) are per test and not a leak.
        """
        top = tempfile.gettempdir()
        entries: dict[str, tuple[int, int, int]] = {}
        pending = [("", 0)]
        while pending and len(entries) < _TEMP_ENTRIES:
            relative, depth = pending.pop()
            try:
                listing = list(os.scandir(os.path.join(top, relative)))
            except OSError:
                continue
            for entry in listing:
                if not relative and entry.name.startswith("pytest-of-"):
                    continue
                path = os.path.join(relative, entry.name)
                try:
                    info = entry.stat(follow_symlinks=False)
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                entries[path + (os.sep if is_dir else "")] = (
                    info.st_ino,
                    0 if is_dir else info.st_size,
                    info.st_mtime_ns,
                )
                if is_dir and depth + 1 < _TEMP_DEPTH:
                    pending.append((path, depth + 1))
        return entries

    def snapshot(self) -> dict[str, Any]:
        raw_env = getattr(os.environ, "_data", None)  # bytes, not decoded: cheaper to copy
        return {
            "env": dict(raw_env) if isinstance(raw_env, dict) else dict(os.environ),
            "cwd": _cwd(),
            "sys_path": tuple(sys.path),
            "threads": {t.ident: t.name for t in threading.enumerate()},
            "fds": self._fds(),
            "random": hash(random.getstate()),
            "overrides": self._overrides(),
            "globals": self._globals(),
            "modules": self._module_ids(),
            "rows": self._row_counts(),
            "temp": self._temp_files(),
            "fixtures": self._fixture_values(),
        }

    def _fixture_values(self) -> dict[str, Any]:
        """The values of the live module-, class-, package- and session-scoped fixtures:
        "name|where it is defined|scope" -> fingerprint. A test that changes such a value
        in place changes it for every later test that shares it."""
        values: dict[str, Any] = {}
        for key, fixturedef in list(self._live.items()):
            cached = getattr(fixturedef, "cached_result", None)
            if cached is None or cached[2] is not None:
                del self._live[key]  # torn down, or its setup failed
                continue
            values[key] = _fingerprint(cached[0])
        return values

    def set_up(self, fixturedef: Any) -> None:
        """A higher-scoped fixture of the project was just made: its value as it was given to
        the test."""
        cached = getattr(fixturedef, "cached_result", None)
        if cached is None or cached[2] is not None or fixturedef.scope == "function":
            return
        code = getattr(getattr(fixturedef, "func", None), "__code__", None)
        path = getattr(code, "co_filename", "")
        if "site-packages" in path or not os.path.realpath(path).startswith(self._root):
            return  # pytest's or a plugin's own fixture (tmp_path_factory...): not the project's
        key = f"{fixturedef.argname}|{fixturedef.baseid}|{fixturedef.scope}"
        self._live[key] = fixturedef
        self._made[key] = _fingerprint(cached[0])

    def before(self, nodeid: str) -> None:
        # Nothing runs between one test's end and the next one's start: reuse that snapshot.
        self._before[nodeid] = self._last if self._last is not None else self.snapshot()

    def after(self, nodeid: str) -> None:
        before = self._before.pop(nodeid, None)
        if before is None:
            return
        after = self._last = self.snapshot()
        if self._made:  # fixtures made during this test: compared with their first value
            before = {**before, "fixtures": {**before["fixtures"], **self._made}}
            self._made = {}
        for leak in diff(before, after):
            # (state, detail[, subject]): the subject names what to restore, for fixes
            subject = list(leak[2:])
            self._recorder.write(
                "leak", nodeid=nodeid, state=leak[0], detail=leak[1], subject=subject
            )


class LeakHooks:
    def __init__(self, tracker: LeakTracker) -> None:
        self._tracker = tracker

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Any:
        yield
        self._tracker.set_up(fixturedef)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        self._tracker.before(item.nodeid)
        yield
        self._tracker.after(item.nodeid)
