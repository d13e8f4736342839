"""What a test left changed: the difference of the leak tracker's snapshots before and after it.

Part of the ``remediation_order`` plugin (imported by name from the same folder on the
target's PYTHONPATH); standard library only, Python 3.9 syntax. Each leak is a tuple
``(state, detail, *subject)``: the subject names what a fix restores.
"""

from __future__ import annotations

import os
from typing import Any

GONE = "\0gone:"  # prefix of a cwd that no longer exists (its former path follows)


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001  a foreign __repr__ may raise anything; show its type
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 80 else text[:77] + "..."


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


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, ...]]:
    if before is after:
        return []
    leaks: list[tuple[str, ...]] = []
    if before["env"] != after["env"]:
        leaks.extend(_env_diff(_decoded(before["env"]), _decoded(after["env"])))
    if before["cwd"] != after["cwd"]:
        now = after["cwd"]
        if now.startswith(GONE):
            gone = now[len(GONE) :]
            detail = f"left the working directory in a folder that no longer exists ({gone})"
        else:
            detail = f"changed the working directory to {now}"
        leaks.append(("cwd", detail, before["cwd"]))
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
    leaks.extend(_fixtures_diff(before.get("fixtures", {}), after.get("fixtures", {})))
    replaced = _modules_diff(before["modules"], after["modules"], leaks)
    old_globals, new_globals = before["globals"], after["globals"]
    changed = [] if old_globals == new_globals else set(old_globals) | set(new_globals)
    for key in sorted(changed):  # one comparison when nothing changed (most tests)
        if key[0] not in before["modules"] or key[0] not in after["modules"]:
            continue  # first imported during this test (not a leak), or removed
        if key[0] in replaced:
            continue  # a new module object: its globals are not the old one's
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


def _fixtures_diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, ...]]:
    """Higher-scoped fixture values the test changed in place (the same object, other
    contents): every later test sharing the value sees the change."""
    leaks: list[tuple[str, ...]] = []
    for key in sorted(set(before) & set(after)):
        old, new = before[key], after[key]
        if old == new or len(old) < 2 or len(new) < 2 or old[1] != new[1]:
            continue  # unchanged, or a new value (a new parameter): not a leak
        name, where, scope = key.split("|", 2)
        defined = where or "a plugin or the root conftest"
        detail = f"changed the value of the {scope}-scoped fixture {name} in place ({defined})"
        leaks.append(("fixture_values", detail, name))
    return leaks


def _modules_diff(
    before: dict[str, int], after: dict[str, int], leaks: list[tuple[str, ...]]
) -> set[str]:
    """The project's sys.modules entries the test removed, replaced (deleted and imported
    again: code that imported the old module keeps it) or added; returns the replaced ones.

    Added entries are the project's modules first imported during the test: state too, for
    a test that expects a module not to be loaded yet.
    """
    removed = sorted(name for name in before if name not in after)
    replaced = sorted(name for name in before if name in after and before[name] != after[name])
    added = sorted(name for name in after if name not in before)
    for verb, names in (
        ("replaced (deleted and imported again)", replaced),
        ("removed", removed),
        ("imported", added),
    ):
        if names:
            more = f" and {len(names) - 5} more" if len(names) > 5 else ""
            leaks.append(
                (
                    "sys_modules",
                    "{} {} in sys.modules{}".format(verb, ", ".join(names[:5]), more),
                    *names,
                )
            )
    return set(replaced)


def _temp_diff(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]
) -> list[tuple[str, ...]]:
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
    # What a fix undoes, relative to the temp folder: "+path" created (the top-most of what
    # was created), "-path" removed and "~path" changed (put back from a copy taken before).
    tops = [
        path
        for path in created
        if not any(
            path.startswith(other) for other in created if other.endswith(os.sep) and other != path
        )
    ]
    undo = (
        ["+" + path for path in tops]
        + ["-" + path for path in removed if not path.endswith(os.sep)]
        + ["~" + path for path in changed]
    )
    return [("temp_files", "files in the temp folder: {}".format("; ".join(parts)), *undo[:50])]
