"""The kinds of failure the catalogue has a cure to try for, and the cures' own kinds: names
only, so a command can point at `remediate fix` without loading the cures (libcst)."""

from __future__ import annotations

# failure kinds (the triage's) -> the cure kinds that may answer them
CURES_FOR: dict[str, tuple[str, ...]] = {
    "async_without_plugin": ("async-mode", "async-mark"),
    "basename_clash": ("package-markers",),
    "relative_import": ("package-markers",),
    "missing_module": ("moved-import", "skip-missing"),
    "missing_fixture": ("fixture-import",),
    "type_error": ("http-client-transport",),  # httpx clients built with `app=`
    # tests an isolation report confirms fail after another test
    "order_dependent": ("order-dependence",),
}

CURE_KINDS: tuple[str, ...] = tuple(dict.fromkeys(k for kinds in CURES_FOR.values() for k in kinds))


def has_cure_to_try(failure_kind: str, key: str | None = None) -> bool:
    """Whether the catalogue has a cure to try for failures of `failure_kind` (and `key`)."""
    if failure_kind == "type_error":
        return (key or "").endswith("Client.__init__")
    return failure_kind in CURES_FOR
