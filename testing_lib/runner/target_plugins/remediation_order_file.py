"""The order plugin's one-shot mode: run the tests an order file names, in its order.

Part of the ``remediation_order`` plugin (which re-exports this hook; this module is
imported by name, from the same folder on the target's PYTHONPATH); standard library and
pytest only, Python 3.9 syntax. Inert unless ``REMEDIATION_ORDER_FILE`` is set: a file
with one node id per line. After collection the session runs exactly those tests, in that
order (ids pytest did not collect are a usage error naming them).
"""

from __future__ import annotations

import os

import pytest

ORDER_FILE_ENV = "REMEDIATION_ORDER_FILE"


def _read_ids(path: str) -> list[str]:
    with open(path, encoding="utf-8") as stream:
        return [line.rstrip("\n") for line in stream if line.strip()]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    path = os.environ.get(ORDER_FILE_ENV)
    if not path:
        return
    wanted = _read_ids(path)
    by_id = {item.nodeid: item for item in items}
    missing = [nodeid for nodeid in wanted if nodeid not in by_id]
    if missing:
        raise pytest.UsageError(
            f"{path} lists {len(missing)} test id(s) pytest did not collect here, "
            f"e.g. {missing[0]!r}: regenerate the order file from this collection"
        )
    selected = [by_id[nodeid] for nodeid in wanted]
    chosen = set(wanted)
    deselected = [item for item in items if item.nodeid not in chosen]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected
