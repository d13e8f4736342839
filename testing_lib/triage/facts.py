"""What the target has, for advice that fits it: computed once per run, then read only.

The advice for a failure depends on the target, not on the engine: which async plugins
the target's interpreter has (asked of that interpreter, through the cached
`probe_interpreter`), the file that configures its pytest and the mode pytest-asyncio runs
in there, the dependencies it declares and where, and its own modules. `target_facts`
gathers them; `TargetFacts` can also be built directly (tests, other interpreters).
"""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from testing_lib.config.pyproject import PYPROJECT, PyprojectError, read_document, tool_table
from testing_lib.exceptions import RunnerError
from testing_lib.organizer.pytest_settings import find_pytest_config
from testing_lib.runner.probe import probe_interpreter
from testing_lib.triage.declared_dependencies import DeclaredDependencies, declared_dependencies
from testing_lib.triage.project_modules import project_modules

logger = logging.getLogger(__name__)

_SECTIONS = {
    "pytest.ini": "[pytest]",
    ".pytest.ini": "[pytest]",
    "tox.ini": "[pytest]",
    "setup.cfg": "[tool:pytest]",
}


class PytestConfigFile(BaseModel):
    """The file that configures the target's pytest, and what it says about async tests."""

    model_config = ConfigDict(frozen=True)

    path: str  # relative to the target's root (absolute when it lies above it)
    section: str  # "[pytest]", "[tool.pytest.ini_options]", "[tool:pytest]", "[tool.pytest]"
    asyncio_mode: str | None = None  # its `asyncio_mode`, or `--asyncio-mode` in its addopts
    disabled_plugins: tuple[str, ...] = ()  # `-p no:NAME` in its addopts

    @property
    def where(self) -> str:
        return f"{self.path} {self.section}"

    def setting(self, key: str, value: str) -> str:
        """`key = "value"` in a TOML file, `key = value` in an ini-style one."""
        return f'{key} = "{value}"' if self.path.endswith(".toml") else f"{key} = {value}"


class TargetPlugins(BaseModel):
    """The async test plugins installed in the target's interpreter."""

    model_config = ConfigDict(frozen=True)

    pytest_asyncio: bool = False
    pytest_asyncio_version: str | None = None
    anyio: bool = False  # anyio's pytest plugin (`@pytest.mark.anyio`)


class TargetFacts(BaseModel):
    """What one target has: its interpreter's plugins, pytest configuration, declared
    dependencies and own modules."""

    model_config = ConfigDict(frozen=True)

    python: str
    plugins: TargetPlugins | None = None  # None: the interpreter could not be asked
    pytest_config: PytestConfigFile | None = None
    has_pyproject: bool = False
    dependencies: DeclaredDependencies = Field(default_factory=DeclaredDependencies)
    modules: tuple[str, ...] = ()  # `a/b.py`, `a/b/` (see `project_modules`)
    env_disabled_plugins: tuple[str, ...] = ()  # `-p no:NAME` in PYTEST_ADDOPTS

    def disabled_by(self, plugin: str) -> str | None:
        """Where the target's runs turn `plugin` off (`-p no:plugin`), if they do."""
        if self.pytest_config is not None and plugin in self.pytest_config.disabled_plugins:
            return f"the addopts of {self.pytest_config.where}"
        if plugin in self.env_disabled_plugins:
            return "PYTEST_ADDOPTS"
        return None


def _as_args(value: object) -> list[str]:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()
    return [str(item) for item in value] if isinstance(value, list) else []


def _option(args: list[str], name: str) -> str | None:
    """The value of `--name=value` or `--name value` in `args` (the last one wins)."""
    value = None
    for index, arg in enumerate(args):
        if arg.startswith(f"{name}="):
            value = arg.split("=", 1)[1]
        elif arg == name and index + 1 < len(args):
            value = args[index + 1]
    return value


def _disabled(args: list[str]) -> tuple[str, ...]:
    """The plugins `-p no:NAME` (also `-pno:NAME`) turns off."""
    names = []
    for index, arg in enumerate(args):
        value = args[index + 1] if arg == "-p" and index + 1 < len(args) else arg[2:]
        if arg.startswith("-p") and value.startswith("no:"):
            names.append(value[3:])
    return tuple(names)


def _section(path: Path) -> str:
    if path.name != PYPROJECT:
        return _SECTIONS.get(path.name, "[pytest]")
    try:
        table = tool_table(read_document(path), "pytest")
    except PyprojectError:
        table = None
    has_ini_options = isinstance(table, dict) and "ini_options" in table
    return "[tool.pytest.ini_options]" if has_ini_options else "[tool.pytest]"


def pytest_config_file(root: Path) -> PytestConfigFile | None:
    """The file that configures pytest for `root` (see `find_pytest_config`), read."""
    found = find_pytest_config(root)
    if found is None:
        return None
    path, raw = found
    settings: dict[str, Any] = raw
    addopts = _as_args(settings.get("addopts", []))
    mode = _option(addopts, "--asyncio-mode") or settings.get("asyncio_mode")
    try:
        shown = path.relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    return PytestConfigFile(
        path=shown,
        section=_section(path),
        asyncio_mode=str(mode).strip() if mode else None,
        disabled_plugins=_disabled(addopts),
    )


def _plugins(python: str) -> TargetPlugins | None:
    try:
        info = probe_interpreter(python)
    except RunnerError as exc:
        logger.warning("Cannot ask %s which async plugins it has: %s", python, exc)
        return None
    return TargetPlugins(
        pytest_asyncio=info.has_pytest_asyncio,
        pytest_asyncio_version=info.pytest_asyncio_version,
        anyio=info.has_anyio_plugin,
    )


def target_facts(root: Path, python: str) -> TargetFacts:
    """What the target at `root`, run by `python`, has (one probe, one walk of its tree)."""
    root = root.resolve()
    return TargetFacts(
        python=python,
        plugins=_plugins(python),
        pytest_config=pytest_config_file(root),
        has_pyproject=(root / PYPROJECT).is_file(),
        dependencies=declared_dependencies(root),
        modules=project_modules(root),
        # the target's runs inherit the engine's environment
        env_disabled_plugins=_disabled(_as_args(os.environ.get("PYTEST_ADDOPTS", ""))),
    )
