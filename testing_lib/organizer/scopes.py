"""Which fixture definition a test gets, from where it sits: module, conftest chain, plugin.

pytest looks a fixture name up in the test's module first, then in the conftest.py files of
its folder and every folder above, nearest first; what none of them defines comes from a
plugin (or is missing), which does not depend on where the file lives. Autouse fixtures of
the module and of every conftest above apply to every test. A fixture that requests its own
name (`def db(db)`) extends the next definition further out.

The organizer compares these resolutions before and after a move: a test keeps its
fixtures when every name it reaches resolves to the same definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from testing_lib.organizer.analysis import FileAnalysis, FixtureDef

MODULE = "<module>"
EXTERNAL = "<plugin>"


@dataclass(frozen=True, slots=True)
class Resolution:
    owner: str  # MODULE, EXTERNAL or a conftest path
    fixture: FixtureDef | None


class FixtureScopes:
    def __init__(self, conftests: Mapping[str, FileAnalysis]) -> None:
        self.tables: dict[str, dict[str, FixtureDef]] = {
            path: {f.name: f for f in analysis.fixtures} for path, analysis in conftests.items()
        }
        self.hooks: dict[str, list[str]] = {
            path: list(analysis.hooks) for path, analysis in conftests.items()
        }

    def autouse(self, conftest: str) -> list[str]:
        return [name for name, f in self.tables.get(conftest, {}).items() if f.autouse]

    def resolve(
        self, name: str, module: FileAnalysis, chain: Sequence[str], *, skip: int = 0
    ) -> Resolution:
        """Resolve `name` for a test in `module` whose conftests are `chain` (nearest first).

        `skip` > 0 starts the search further out (used for `def db(db)` overrides):
        1 skips the module, 1 + k also skips the first k conftests.
        """
        if skip == 0:
            for fixture in module.fixtures:
                if fixture.name == name:
                    return Resolution(MODULE, fixture)
            if name in module.imported_names:
                return Resolution(MODULE, None)
        for position, conftest in enumerate(chain):
            if skip > 0 and position < skip - 1:
                continue
            found = self.tables.get(conftest, {}).get(name)
            if found is not None:
                return Resolution(conftest, found)
        return Resolution(EXTERNAL, None)

    def closure(
        self, module: FileAnalysis, chain: Sequence[str], names: Sequence[str]
    ) -> dict[str, Resolution]:
        """Every fixture name reached from `names` plus the autouse ones, resolved."""
        start = list(names)
        start += [f.name for f in module.fixtures if f.autouse]
        for conftest in chain:
            start += self.autouse(conftest)
        resolved: dict[str, Resolution] = {}
        pending = [(n, 0) for n in start]
        guard = 0
        while pending and guard < 10_000:
            guard += 1
            name, skip = pending.pop()
            key = name if skip == 0 else f"{name}@{skip}"
            if key in resolved:
                continue
            resolution = self.resolve(name, module, chain, skip=skip)
            resolved[key] = resolution
            if resolution.fixture is None:
                continue
            own_level = 0 if resolution.owner == MODULE else 1 + list(chain).index(resolution.owner)
            for request in resolution.fixture.requests:
                if request == resolution.fixture.name:
                    pending.append((request, own_level + 1))
                else:
                    pending.append((request, 0))
        return resolved

    def multiplier(
        self, module: FileAnalysis, chain: Sequence[str], names: Sequence[str]
    ) -> tuple[int, bool]:
        """How many times parametrized fixtures multiply a test requesting `names`."""
        total = 1
        exact = True
        for resolution in self.closure(module, chain, names).values():
            fixture = resolution.fixture
            if fixture is not None and fixture.params is not None:
                total *= fixture.params
                exact = exact and fixture.params_exact
        return total, exact
