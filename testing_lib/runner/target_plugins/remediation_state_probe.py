"""The project's plain module state as one test sees it, just before it runs.

Loaded with ``-p remediation_state_probe``; standard library and pytest only, Python 3.9
syntax. With ``REMEDIATION_STATE_PROBE`` set to ``NODEID<TAB>FILE``, right before that
test's setup it writes, as JSON, the globals and class attributes of the project's modules
(loaded from under ``REMEDIATION_PROJECT_ROOT``, else pytest's rootdir, outside
site-packages) whose values are plain data (str, int, float, bool, None):
``{"module": {"NAME" or "Class.attribute": value}}``. Two such probes, one of the test
alone and one with another module imported, show what that import changed.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest

_PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any) -> bool:
    return isinstance(value, _PLAIN) and not (isinstance(value, str) and len(value) > 200)


def _state(root: str) -> dict[str, dict[str, Any]]:
    prefix = os.path.realpath(root) + os.sep
    found: dict[str, dict[str, Any]] = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or "site-packages" in path or not os.path.realpath(path).startswith(prefix):
            continue
        values: dict[str, Any] = {}
        for key, value in list(vars(module).items()):
            if key.startswith("__"):
                continue
            if _plain(value):
                values[key] = value
            elif isinstance(value, type) and getattr(value, "__module__", None) == name:
                for attribute, held in list(vars(value).items()):
                    if not attribute.startswith("__") and _plain(held):
                        values[f"{key}.{attribute}"] = held
        if values:
            found[name] = values
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    spec = os.environ.get("REMEDIATION_STATE_PROBE", "")
    nodeid, _, target = spec.partition("\t")
    if not target or not (item.nodeid == nodeid or nodeid.endswith("/" + item.nodeid)):
        return
    root = os.environ.get("REMEDIATION_PROJECT_ROOT") or str(item.config.rootpath)
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(_state(root), handle, default=repr)
