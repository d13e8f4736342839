"""Remediations that fit the target: pure functions of one failure and the target's facts.

A rule of the table (`rules.RULES`) may carry an `Advice`; given what the target has
(`TargetFacts`), it writes the remediation for that target, or returns None to leave
the rule's general one. Nothing here reads a file or starts a process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from testing_lib.triage.declared_dependencies import distribution_for
from testing_lib.triage.facts import TargetFacts
from testing_lib.triage.project_modules import (
    Location,
    imported_names,
    is_own_package,
    locate,
)

SHOWN_PATHS = 3


@dataclass(frozen=True)
class Failure:
    """What an advice reads of one failure: its group key, evidence and raw traceback."""

    key: str | None
    evidence: str
    traceback: str = ""


Advice = Callable[[Failure, TargetFacts], str | None]


def _set_auto_mode(facts: TargetFacts) -> str:
    config = facts.pytest_config
    if config is not None:
        return f"set `{config.setting('asyncio_mode', 'auto')}` in {config.where}"
    if facts.has_pyproject:
        return 'set `asyncio_mode = "auto"` in a new [tool.pytest.ini_options] of pyproject.toml'
    return "create pytest.ini with a [pytest] section that sets `asyncio_mode = auto`"


def _add_dependency(facts: TargetFacts, distribution: str) -> str:
    where = facts.dependencies.where_to_add()
    if where is None:
        return (
            f"add `{distribution}` to the project's test dependencies (it declares none: no "
            "pyproject.toml [project] table, no requirements*.txt)"
        )
    return f"add `{distribution}` to {where}"


def async_advice(failure: Failure, facts: TargetFacts) -> str | None:
    """An `async def` test no plugin ran: what the target's plugins and configuration need."""
    plugins = facts.plugins
    if plugins is None:
        return None
    python = facts.python
    set_auto = _set_auto_mode(facts)
    config = facts.pytest_config
    anyio = plugins.anyio and facts.disabled_by("anyio") is None
    also_anyio = (
        "; anyio's pytest plugin is installed too: `@pytest.mark.anyio` also runs them"
        if anyio
        else ""
    )
    if plugins.pytest_asyncio:
        name = " ".join(filter(None, ("pytest-asyncio", plugins.pytest_asyncio_version)))
        off = facts.disabled_by("asyncio")
        if off is not None:
            return (
                f"{name} is installed in {python} but `-p no:asyncio` in {off} turns it off: "
                f"remove that, then {set_auto}{also_anyio}"
            )
        mode = ((config.asyncio_mode if config else None) or "strict").lower()
        if mode == "auto":
            if "never awaited" in failure.evidence:
                return (
                    f"{name} runs in auto mode: a coroutine was created and never awaited: "
                    "add the missing `await` in the test or the code it calls"
                )
            return (
                f"{name} is installed in {python} and auto mode is set, yet it did not run "
                "this test: check that pytest loads it (PYTEST_DISABLE_PLUGIN_AUTOLOAD unset, "
                "no `-p no:asyncio` in the phase's pytest_args)"
            )
        how = (
            f"`{config.setting('asyncio_mode', mode)}` in {config.where}"
            if config is not None and config.asyncio_mode
            else "strict mode, its default"
        )
        return (
            f"{name} is installed in {python} but runs in {how}, which leaves unmarked "
            f"`async def` tests unrun: {set_auto}, or mark the tests `@pytest.mark.asyncio` "
            f"(a whole module: `pytestmark = pytest.mark.asyncio`){also_anyio}"
        )
    if anyio:
        return (
            f"pytest-asyncio is not installed in {python}, anyio's pytest plugin is: mark the "
            "tests `@pytest.mark.anyio` (a whole module: `pytestmark = pytest.mark.anyio`), "
            f"or {_add_dependency(facts, 'pytest-asyncio')}, install it and {set_auto}"
        )
    anyio_off = facts.disabled_by("anyio") if plugins.anyio else None
    besides = (
        f" (anyio's plugin is, but `-p no:anyio` in {anyio_off} turns it off)" if anyio_off else ""
    )
    declared = facts.dependencies.declaring(["pytest-asyncio"])
    if declared is not None:
        return (
            f"pytest-asyncio is declared in {declared.where} but not installed in {python}"
            f"{besides}: install the project's test dependencies "
            f"(`{declared.install_command(python)}`), then {set_auto}"
        )
    none = (
        f"pytest-asyncio is not installed in {python}{besides}"
        if besides
        else f"no async test plugin is installed in {python}"
    )
    return f"{none}: {_add_dependency(facts, 'pytest-asyncio')} and install it, then {set_auto}"


def _paths(paths: tuple[str, ...]) -> str:
    shown = ", ".join(paths[:SHOWN_PATHS])
    more = len(paths) - SHOWN_PATHS
    return f"{shown} (and {more} more)" if more > 0 else shown


def _own_module(missing: str, location: Location, facts: TargetFacts) -> str:
    if location.how == "moved":
        moved = f"the project's own module `{location.name}` moved"
        if len(location.paths) == 1:
            return f"{moved}: now at {location.paths[0]}; update the import"
        return (
            f"{moved}: {len(location.paths)} candidates, {_paths(location.paths)}; "
            "update the import to the one meant"
        )
    if location.how == "gone":
        package, _, rest = missing.partition(".")
        return (
            f"`{package}` is the project's own package, and no module `{rest.rsplit('.', 1)[-1]}` "
            "is left in the project: it was removed or renamed; update or remove the import"
        )
    config = facts.pytest_config
    where = f" in {config.where}" if config else ""
    if "." in missing:
        return (
            f"the project's own module is at {_paths(location.paths)}, yet the run imports another "
            f"`{missing.split('.', 1)[0]}` (an installed package or folder of that name comes "
            "first on the import path): rename one, or fix the import path"
        )
    return (
        f"the project's own module is at {_paths(location.paths)} but not on the test run's "
        f"import path: set `pythonpath`{where} to its folder, or install the project "
        f"(`{facts.python} -m pip install -e .`)"
    )


def missing_module_advice(failure: Failure, facts: TargetFacts) -> str | None:
    """`No module named 'x'`: the project's own module that moved, or a third-party
    distribution to install (declared) or to declare (not declared)."""
    missing = failure.key
    if not missing:
        return None
    python = facts.python
    top = missing.split(".", 1)[0]
    distribution = distribution_for(missing)
    declared = facts.dependencies.declaring([distribution, top, f"python-{top}"])
    if "." not in missing and declared is not None:
        return (
            f"`{missing}` (distribution `{distribution}`) is declared in {declared.where} but "
            f"not installed in {python}: install the project's dependencies "
            f"(`{declared.install_command(python)}`)"
        )
    location = locate(facts.modules, missing, imported_names(failure.traceback, missing))
    if location is not None:
        return _own_module(missing, location, facts)
    if "." in missing and not is_own_package(facts.modules, top):
        # Python names the first part it cannot find: `top` itself was imported
        pin = f"pin the version that has it in {declared.where}" if declared else "pin its version"
        return (
            f"`{top}` is installed in {python} but has no module `{missing}`: the installed "
            f"version is not the one the code expects; {pin}"
        )
    named = f" (the distribution that provides `{top}`)" if distribution != top else ""
    return (
        f"`{missing}` is not installed in {python} and not declared in the project's "
        f"dependencies: {_add_dependency(facts, distribution)}{named} and install it, or skip "
        f'the module with `pytest.importorskip("{missing}")` when it is optional'
    )
