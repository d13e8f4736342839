"""The packages' arrows point one way: cli, deployments -> flows -> tasks -> testing_lib.

Read from the source (every module-level and function-level import), so a lazy import
cannot hide an arrow. No two modules import each other, directly or round a loop.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Higher layers may import lower ones, never the reverse.
LAYERS = {"cli": 4, "deployments": 3, "flows": 2, "tasks": 1, "testing_lib": 0}
# Third-party packages a layer must not use: the library works without Prefect.
FORBIDDEN = {"testing_lib": ("prefect",)}
INJECTED = ROOT / "testing_lib" / "runner" / "target_plugins"  # runs in the target's interpreter


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if INJECTED in path.parents:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    return {
        name: {target for target in _imports(path) if target in MODULES and target != name}
        for name, path in MODULES.items()
    }


def _layer(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def test_no_module_imports_a_higher_layer() -> None:
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(source)
    )
    assert upward == []


def test_only_the_cli_and_deployments_import_flows() -> None:
    importers = sorted(
        source
        for source, targets in _graph().items()
        if not source.startswith(("flows", "cli", "deployments"))
        and any(t.split(".")[0] == "flows" for t in targets)
    )
    assert importers == []


@pytest.mark.parametrize(("package", "forbidden"), sorted(FORBIDDEN.items()))
def test_a_layer_does_not_use_what_it_must_work_without(
    package: str, forbidden: tuple[str, ...]
) -> None:
    offenders = sorted(
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if name.split(".")[0] == package
        for target in _imports(path)
        if target.split(".")[0] in forbidden
    )
    assert offenders == []


def test_no_import_cycle_between_files() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []


def _packages() -> Iterator[str]:
    for init in sorted(Path(ROOT, "testing_lib").rglob("__init__.py")):
        yield ".".join(init.parent.relative_to(ROOT).parts)


@pytest.mark.parametrize("package", list(_packages()))
def test_every_public_name_resolves(package: str) -> None:
    """Each name a package's `__all__` offers imports, also the lazily loaded ones."""
    module = importlib.import_module(package)
    missing = [name for name in getattr(module, "__all__", ()) if not hasattr(module, name)]
    assert missing == []


def test_no_two_modules_share_a_file_name() -> None:
    """Two modules of one name must be one idea: the second re-exports the first."""
    seen: dict[str, list[Path]] = {}
    for top in ("cli", "deployments", "flows", "tasks", "testing_lib"):
        for path in Path(ROOT, top).rglob("*.py"):
            if path.name != "__init__.py":
                seen.setdefault(path.name, []).append(path.relative_to(ROOT))
    assert {name: paths for name, paths in seen.items() if len(paths) > 1} == {}


def test_no_module_is_over_450_lines() -> None:
    long = {}
    for top in ("cli", "deployments", "flows", "tasks", "testing_lib", "benchmarks"):
        for path in Path(ROOT, top).rglob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > 450:
                long[str(path.relative_to(ROOT))] = lines
    assert long == {}
