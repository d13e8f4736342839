"""The four remediation phases, their order and their default pytest selections."""

from __future__ import annotations

from typing import Final, Literal, get_args

PhaseName = Literal[
    "foundation",
    "core_infrastructure",
    "service_integration",
    "final_validation",
]

PHASE_ORDER: Final[tuple[PhaseName, ...]] = get_args(PhaseName)

# Default selections (docs/architecture.md lists them). An empty list means "the whole suite":
# pytest is called without paths, so the target's own `testpaths` decide.
DEFAULT_PATHS: Final[dict[PhaseName, tuple[str, ...]]] = {
    "foundation": ("tests/unit",),
    "core_infrastructure": ("tests/integration/api", "tests/integration/database"),
    "service_integration": ("tests/integration/services", "tests/integration/auth"),
    "final_validation": (),
}


def parse_phase(name: str) -> PhaseName:
    """Return `name` as a phase, or raise ValueError listing the valid names."""
    normalized = name.strip().replace("-", "_")
    for phase in PHASE_ORDER:
        if phase == normalized:
            return phase
    raise ValueError(f"unknown phase {name!r}; valid phases: {', '.join(PHASE_ORDER)}")
