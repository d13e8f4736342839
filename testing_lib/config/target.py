"""A remediation target: its root, interpreter, per-phase settings and isolation selection.

Loaded from `[tool.remediation]` in TARGET/pyproject.toml; every error names the file and key.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from testing_lib.config.phases import DEFAULT_PATHS, PHASE_ORDER, PhaseName
from testing_lib.config.pyproject import PYPROJECT, PyprojectError, remediation_table
from testing_lib.config.testing import TestConfiguration
from testing_lib.exceptions import TargetConfigError


def check_selection_paths(paths: list[str]) -> list[str]:
    """Refuse selection paths that leave the target (absolute, `~`, `..`)."""
    for raw in paths:
        path = PurePosixPath(raw.replace("\\", "/"))
        if path.is_absolute() or raw.startswith("~") or ".." in path.parts:
            raise ValueError(
                f"selection path {raw!r} leaves the target: use a path relative to the "
                "target's root, without '..'"
            )
    return paths


class PhaseConfig(BaseModel):
    """How one phase gates: what it selects and what it demands."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(default_factory=list)
    markers: str | None = None  # a pytest `-m` expression
    min_success_rate: float = Field(default=100.0, ge=0, le=100)
    timeout_s: float = Field(default=900.0, gt=0)
    test_timeout_s: float | None = Field(default=None, gt=0)
    pytest_args: list[str] = Field(default_factory=list)
    shards: int = Field(default=1, ge=1, le=64)  # concurrent pytest runs splitting the gate

    @field_validator("paths")
    @classmethod
    def _paths_stay_inside(cls, paths: list[str]) -> list[str]:
        return check_selection_paths(paths)


class IsolationConfig(BaseModel):
    """`[tool.remediation.isolation]`: what the nightly isolation validation runs.

    Every key is optional; one left out follows `[tool.remediation.phases.final_validation]`,
    so a target that gates on a selection also validates that selection's isolation. Set
    them to validate more (or less) than the phase gates on, e.g. planted order-dependent
    tests that the phase leaves out. `markers = ""` runs without a marker filter.
    """

    model_config = ConfigDict(extra="forbid")

    paths: list[str] | None = None  # relative, inside the target; [] = pytest's testpaths
    markers: str | None = None  # a pytest `-m` expression
    pytest_args: list[str] | None = None  # passed to pytest as they are

    @field_validator("paths")
    @classmethod
    def _paths_stay_inside(cls, paths: list[str] | None) -> list[str] | None:
        return None if paths is None else check_selection_paths(paths)


class IsolationRun(BaseModel):
    """The isolation selection with final_validation's values filled in for unset keys."""

    paths: list[str]
    markers: str | None
    pytest_args: list[str]

    @property
    def extra_args(self) -> list[str]:
        """The pytest arguments after the paths: `-m MARKERS` (if any), then `pytest_args`."""
        return [*(["-m", self.markers] if self.markers else []), *self.pytest_args]


class RemediationTable(BaseModel):
    """The `[tool.remediation]` table as written."""

    model_config = ConfigDict(extra="forbid")

    python: str | None = None
    metadata: str | None = None  # "pkg.module:Base" (declarative base or MetaData)
    session_dependency: str | None = None  # "pkg.module:get_session"
    app: str | None = None  # "pkg.module:app" (FastAPI/ASGI application)
    phases: dict[PhaseName, PhaseConfig] = Field(default_factory=dict)
    isolation: IsolationConfig = Field(default_factory=IsolationConfig)
    testing: TestConfiguration = Field(default_factory=TestConfiguration)

    @field_validator("metadata", "session_dependency", "app")
    @classmethod
    def _import_path(cls, value: str | None) -> str | None:
        if value is not None:
            module, _, attribute = value.partition(":")
            if not module or not attribute:
                raise ValueError(f"{value!r} is not an import path: write 'package.module:name'")
        return value


class TargetConfig(BaseModel):
    """Everything the engine needs to know about one target."""

    root: Path
    config_file: Path | None
    python: str
    phases: dict[PhaseName, PhaseConfig]
    testing: TestConfiguration
    isolation: IsolationConfig = Field(default_factory=IsolationConfig)
    metadata: str | None = None
    session_dependency: str | None = None
    app: str | None = None
    # Phases whose paths were chosen by classification (`testing_lib.derived_selection`):
    # phase -> how, for the reports; an empty paths list there means "nothing to gate".
    derived_selections: dict[PhaseName, str] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.root.name

    def phase(self, name: PhaseName) -> PhaseConfig:
        return self.phases[name]

    def isolation_run(self) -> IsolationRun:
        """What nightly isolation validation runs: `[tool.remediation.isolation]`, each unset
        key taken from the final_validation phase."""
        final = self.phase("final_validation")
        own = self.isolation
        return IsolationRun(
            paths=list(final.paths if own.paths is None else own.paths),
            markers=final.markers if own.markers is None else (own.markers.strip() or None),
            pytest_args=list(final.pytest_args if own.pytest_args is None else own.pytest_args),
        )


def _default_phase(name: PhaseName) -> PhaseConfig:
    return PhaseConfig(paths=list(DEFAULT_PATHS[name]))


def format_validation_error(source: Path, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        if loc and loc[-1] == "[key]":  # a bad table name, e.g. an unknown phase
            name = ".".join(["tool", "remediation", *loc[:-1]])
            lines.append(f"{source}: [{name}] is not allowed: {item['msg']}")
            continue
        table = ".".join(["tool", "remediation", *loc[:-1]])
        key = f"[{table}].{loc[-1]}" if loc else f"[{table}]"
        lines.append(f"{source}: {key}: {item['msg']}")
    return "; ".join(lines)


def resolve_interpreter(python: str, base: Path) -> str:
    """Resolve an interpreter given as a path (relative to `base`) or a command name."""
    candidate = Path(python).expanduser()
    if "/" in python or os.sep in python:
        if not candidate.is_absolute():
            candidate = base / candidate
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise TargetConfigError(
            f"interpreter {python!r} not found or not executable (looked at {candidate}): "
            "point [tool.remediation] python or --python at the target's own python"
        )
    found = shutil.which(python)
    if found is None:
        raise TargetConfigError(
            f"interpreter {python!r} is not on PATH: give a path to the target's own python "
            "in [tool.remediation] python or --python"
        )
    return found


def load_target_config(target: str | Path, *, python: str | None = None) -> TargetConfig:
    """Load and validate a target; raise `TargetConfigError` naming what to fix.

    Reads only: nothing is written into the target.
    """
    root = Path(target).expanduser()
    if not root.exists():
        raise TargetConfigError(f"target {str(target)!r} does not exist: pass a project directory")
    if not root.is_dir():
        raise TargetConfigError(
            f"target {str(target)!r} is not a directory: pass a project directory"
        )
    root = root.resolve()

    pyproject = root / PYPROJECT
    try:
        raw = remediation_table(root)
    except PyprojectError as exc:
        raise TargetConfigError(str(exc)) from exc

    if raw is None and not (root / "tests").is_dir():
        from testing_lib.derived_selection import has_test_modules

        if not has_test_modules(root):
            raise TargetConfigError(
                f"{root} has no [tool.remediation] table in pyproject.toml, no tests/ folder "
                "and no test module: add [tool.remediation] with phase paths, or point at the "
                "project that holds the tests"
            )

    try:
        parsed = RemediationTable.model_validate(raw or {})
    except ValidationError as exc:
        raise TargetConfigError(format_validation_error(pyproject, exc)) from exc

    phases = {name: parsed.phases.get(name) or _default_phase(name) for name in PHASE_ORDER}
    for name, phase in phases.items():
        if "paths" not in phase.model_fields_set and name in parsed.phases:
            phases[name] = phase.model_copy(update={"paths": list(DEFAULT_PATHS[name])})
    _refuse_paths_outside(root, pyproject, phases, parsed.isolation)
    derived = _derive_unconfigured(root, parsed, phases)

    if python is not None:
        interpreter = resolve_interpreter(python, Path.cwd())
    elif parsed.python is not None:
        interpreter = resolve_interpreter(parsed.python, root)
    else:
        interpreter = sys.executable

    return TargetConfig(
        root=root,
        config_file=pyproject if raw is not None else None,
        python=interpreter,
        phases=phases,
        testing=parsed.testing,
        isolation=parsed.isolation,
        metadata=parsed.metadata,
        session_dependency=parsed.session_dependency,
        app=parsed.app,
        derived_selections=derived,
    )


def _outside(root: Path, raw: str) -> Path | None:
    """Where `raw` (a path or node id relative to `root`) really leads, when that is an
    existing place outside `root` (a symbolic link out, `..`, an absolute path)."""
    path = root / raw.split("::", 1)[0]
    if not path.exists():
        return None
    real = path.resolve()
    return None if real == root or root in real.parents else real


def _refuse_paths_outside(
    root: Path, pyproject: Path, phases: dict[PhaseName, PhaseConfig], isolation: IsolationConfig
) -> None:
    """Selection paths and positional pytest arguments must lead inside the target."""
    places: list[tuple[str, str, list[str]]] = []
    for name, phase in phases.items():
        key = f"[tool.remediation.phases.{name}]"
        places += [(key, "paths", phase.paths), (key, "pytest_args", phase.pytest_args)]
    places += [
        ("[tool.remediation.isolation]", "paths", isolation.paths or []),
        ("[tool.remediation.isolation]", "pytest_args", isolation.pytest_args or []),
    ]
    for table, key, values in places:
        for raw in values:
            if key == "pytest_args" and raw.startswith("-"):
                continue  # an option; only paths pytest would collect from matter here
            real = _outside(root, raw)
            if real is not None:
                raise TargetConfigError(
                    f"{pyproject}: {table} {key} {raw!r} leads to {real}, outside the target "
                    f"{root}: the engine runs only the target's own tests; select a path "
                    "inside it"
                )


def _derive_unconfigured(
    root: Path, parsed: RemediationTable, phases: dict[PhaseName, PhaseConfig]
) -> dict[PhaseName, str]:
    """Each phase left on its default folders, none of which exists, selects by
    classification (`testing_lib.derived_selection`); updates `phases`, returns
    phase -> description."""
    from testing_lib.derived_selection import derive_selections, organized_layout_missing

    missing = [
        name
        for name in PHASE_ORDER
        if DEFAULT_PATHS[name]
        and (name not in parsed.phases or "paths" not in parsed.phases[name].model_fields_set)
        and organized_layout_missing(root, [name])
    ]
    if not missing:
        return {}
    derived = derive_selections(root, missing)
    for name, selection in derived.items():
        phases[name] = phases[name].model_copy(update={"paths": list(selection.files)})
    return {name: selection.description for name, selection in derived.items()}
