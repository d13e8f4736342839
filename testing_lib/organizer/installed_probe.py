"""Which top-level modules the target's interpreter cannot import (one subprocess).

The audit asks only about names its static import analysis cannot place in the tree:
`external_names` sorts a suite's module-level imports into names outside the tree,
folders without `__init__.py`, and tree modules off the importer's path.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable

from testing_lib.exceptions import RunnerError
from testing_lib.organizer.analysis import FileAnalysis
from testing_lib.organizer.modules import ModuleIndex

PROBE_TIMEOUT_S = 60.0


_PROBE = """
import importlib.util, json, sys
names = json.loads(sys.argv[1])
missing = []
for name in names:
    try:
        if importlib.util.find_spec(name) is None:
            missing.append(name)
    except (ImportError, ValueError):
        missing.append(name)
print(json.dumps(missing))
"""


def not_installed(python: str, names: Iterable[str]) -> dict[str, str]:
    """The top-level module names `python` cannot import (asked in one subprocess)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    with tempfile.TemporaryDirectory(prefix="remediation-imports-") as scratch:
        try:
            completed = subprocess.run(
                [python, "-c", _PROBE, json.dumps(wanted)],
                cwd=scratch,
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RunnerError(
                f"Could not ask {python} which modules it can import: {exc}; pass the "
                "target's interpreter with --python"
            ) from exc
    if completed.returncode != 0:
        raise RunnerError(
            f"{python} failed the import probe (exit {completed.returncode}): "
            f"{completed.stderr.strip()[-500:]}"
        )
    try:
        missing = json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise RunnerError(f"{python} gave an unreadable import probe answer") from exc
    return {str(name): python for name in missing}


def external_names(
    analyses: dict[str, FileAnalysis], index: ModuleIndex
) -> tuple[set[str], set[str], set[str]]:
    """Top-level names imported at module level: not in the tree; only folders without
    `__init__.py` on the importer's path; in the tree but not on the importer's path."""
    external: set[str] = set()
    namespaces: set[str] = set()
    elsewhere: set[str] = set()
    for path, analysis in analyses.items():
        bases = index.search_path(path)
        for ref in analysis.imports:
            if ref.level or not ref.top_level or not ref.module:
                continue
            first = ref.module.split(".")[0]
            target = index.find(first, bases)
            if target is None:
                (external if index.anywhere(first) is None else elsewhere).add(first)
            elif target.path is None:
                namespaces.add(first)
    return external, namespaces, elsewhere
