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


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001  a foreign __repr__ may raise anything; show its type
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 80 else text[:77] + "..."


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
        self._modules: list[Any] | None = None
        self._modules_seen = 0
        self._module_names: dict[
            int, tuple[int, list[str]]
        ] = {}  # module name -> loaded from under the rootdir

    def _target_modules(self) -> list[Any]:
        """Modules loaded from files under the rootdir (outside site-packages).

        Recomputed only when sys.modules changed size (a test imported something).
        """
        if self._modules is not None and self._modules_seen == len(sys.modules):
            return self._modules
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
                modules.append(module)
        self._modules, self._modules_seen = modules, len(sys.modules)
        return modules

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
                    for attribute, held in list(vars(value).items()):
                        if not attribute.startswith("__") and not callable(held):
                            key = (module_name, f"{name}.{attribute}")
                            snapshot[key] = _fingerprint(held)
        return snapshot

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
            "cwd": os.getcwd(),
            "sys_path": tuple(sys.path),
            "threads": {t.ident: t.name for t in threading.enumerate()},
            "fds": self._fds(),
            "random": hash(random.getstate()),
            "overrides": self._overrides(),
            "globals": self._globals(),
            "modules": {getattr(m, "__name__", "?") for m in self._target_modules()},
            "rows": self._row_counts(),
            "temp": self._temp_files(),
        }

    def before(self, nodeid: str) -> None:
        # Nothing runs between one test's end and the next one's start: reuse that snapshot.
        self._before[nodeid] = self._last if self._last is not None else self.snapshot()

    def after(self, nodeid: str) -> None:
        before = self._before.pop(nodeid, None)
        if before is None:
            return
        after = self._last = self.snapshot()
        for leak in _diff(before, after):
            # (state, detail[, subject]): the subject names what to restore, for fixes
            subject = list(leak[2:])
            self._recorder.write(
                "leak", nodeid=nodeid, state=leak[0], detail=leak[1], subject=subject
            )


def _decoded(env: dict[Any, Any]) -> dict[str, str]:
    return {
        (k.decode("utf-8", "surrogateescape") if isinstance(k, bytes) else k): (
            v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else v
        )
        for k, v in env.items()
    }


def _env_diff(env_before: dict[str, str], env_after: dict[str, str]) -> list[tuple[str, ...]]:
    leaks: list[tuple[str, ...]] = []
    for key in sorted(set(env_before) | set(env_after)):
        if key.startswith("PYTEST_"):
            continue
        if key not in env_before:
            leaks.append(("env", f"set {key}={_short(env_after[key])}", key))
        elif key not in env_after:
            leaks.append(("env", f"removed {key} (was {_short(env_before[key])})", key))
        elif env_before[key] != env_after[key]:
            leaks.append(
                (
                    "env",
                    f"changed {key} from {_short(env_before[key])} to {_short(env_after[key])}",
                    key,
                )
            )
    return leaks


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, ...]]:
    if before is after:
        return []
    leaks: list[tuple[str, ...]] = []
    if before["env"] != after["env"]:
        leaks.extend(_env_diff(_decoded(before["env"]), _decoded(after["env"])))
    if before["cwd"] != after["cwd"]:
        leaks.append(
            ("cwd", "changed the working directory to {}".format(after["cwd"]), before["cwd"])
        )
    if before["sys_path"] != after["sys_path"]:
        added = [p for p in after["sys_path"] if p not in before["sys_path"]]
        removed = [p for p in before["sys_path"] if p not in after["sys_path"]]
        change = "; ".join(
            part
            for part in (
                "added {}".format(", ".join(added[:3])) if added else "",
                "removed {}".format(", ".join(removed[:3])) if removed else "",
            )
            if part
        )
        leaks.append(("sys_path", "changed sys.path: {}".format(change or "reordered"), "sys.path"))
    new_threads = [
        name for ident, name in after["threads"].items() if ident not in before["threads"]
    ]
    if new_threads:
        leaks.append(
            (
                "threads",
                "left {} thread(s) running: {}".format(
                    len(new_threads), ", ".join(sorted(new_threads))
                ),
            )
        )
    # A descriptor counts when its target was not open at all before: pytest's capture
    # duplicates descriptors of files that were (the log, the terminal).
    open_before = set(before["fds"].values())
    new_fds = sorted(
        {t for t in after["fds"].values() if t not in open_before and not t.startswith("/proc/")}
    )
    if new_fds:
        leaks.append(
            (
                "open_files",
                "left {} file descriptor(s) open: {}".format(len(new_fds), ", ".join(new_fds[:5])),
            )
        )
    if before["random"] != after["random"]:
        leaks.append(
            ("random", "changed the global random generator's state (seeded or consumed it)")
        )
    for app in sorted(set(before["overrides"]) | set(after["overrides"])):
        old = before["overrides"].get(app, [])
        new = after["overrides"].get(app, [])
        added = [name for name in new if name not in old]
        if added:
            leaks.append(
                (
                    "dependency_overrides",
                    "left {}.dependency_overrides[{}] set".format(
                        app.replace(":", "."), ", ".join(added)
                    ),
                    *app.split(":", 1),
                )
            )
    old_globals, new_globals = before["globals"], after["globals"]
    for key in sorted(set(old_globals) | set(new_globals)):
        if key[0] not in before["modules"]:
            continue  # first imported during this test: an import is not a leak
        if old_globals.get(key) != new_globals.get(key):
            module_name, name = key
            verb = (
                "added"
                if key not in old_globals
                else ("removed" if key not in new_globals else "changed")
            )
            leaks.append(("module_globals", f"{verb} {module_name}.{name}", module_name, name))
    leaks.extend(_temp_diff(before["temp"], after["temp"]))
    for table in sorted(set(before["rows"]) | set(after["rows"])):
        old_count, new_count = before["rows"].get(table, 0), after["rows"].get(table, 0)
        if old_count != new_count:
            leaks.append(("database_rows", f"{table}: {old_count} -> {new_count} rows"))
    return leaks


def _temp_diff(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]
) -> list[tuple[str, str]]:
    """Files the test left created, changed or removed under the temp folder."""
    created = sorted(path for path in after if path not in before)
    removed = sorted(path for path in before if path not in after)
    changed = sorted(
        path
        for path in after
        if path in before and before[path] != after[path] and not path.endswith(os.sep)
    )
    # A folder deleted and made again (same path, new inode) counts as re-created.
    recreated = sorted(
        path
        for path in after
        if path.endswith(os.sep) and path in before and before[path][0] != after[path][0]
    )
    parts = []
    for verb, paths in (
        ("created", created),
        ("changed", changed),
        ("re-created", recreated),
        ("removed", removed),
    ):
        if paths:
            more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            parts.append("{} {}{}".format(verb, ", ".join(paths[:3]), more))
    if not parts:
        return []
    return [("temp_files", "files in the temp folder: {}".format("; ".join(parts)))]


class LeakHooks:
    def __init__(self, tracker: LeakTracker) -> None:
        self._tracker = tracker

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        self._tracker.before(item.nodeid)
        yield
        self._tracker.after(item.nodeid)
