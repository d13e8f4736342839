"""Named CI profiles and what each really does to a run (no simulated environments).

- `ci`: the environment a CI runner gives: only an allowlist of variables survives
  (PATH, HOME, PYTHONPATH, virtualenv and proxy-free basics), plus CI=true, TZ=UTC, LANG=C,
  LC_ALL=C, TERM=dumb; stdin is not a terminal (true of every engine run).
- `constrained`: one CPU by affinity, an address-space cap by RLIMIT_AS, and a private
  TMPDIR.
- `offline`: outbound network blocked: a new network namespace with only loopback when the
  engine may create one (root or user namespaces), else an in-process socket guard.
- `parallel`: pytest-xdist `-n 2`, to expose tests that race on shared resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

ProfileName = Literal["ci", "constrained", "offline", "parallel"]
PROFILE_NAMES: Final[tuple[ProfileName, ...]] = ("ci", "constrained", "offline", "parallel")

CI_ENV_ALLOWLIST: Final[frozenset[str]] = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "PYTHONPATH",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "PY_COLORS",
        "VIRTUAL_ENV",
        "PYTEST_ADDOPTS",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
        "TMPDIR",
    }
)
CI_ENV: Final[dict[str, str]] = {
    "CI": "true",
    "TZ": "UTC",
    "LANG": "C",
    "LC_ALL": "C",
    "TERM": "dumb",
}


@dataclass(frozen=True)
class CIProfile:
    name: ProfileName
    description: str
    set_env: dict[str, str] = field(default_factory=dict)
    keep_env: frozenset[str] | None = None  # None: inherit everything
    cpus: int | None = None
    memory_limit_mb: int | None = None
    private_tmp: bool = False
    offline: bool = False
    xdist_workers: int | None = None


def build_profile(name: ProfileName, *, memory_limit_mb: int = 2048) -> CIProfile:
    if name == "ci":
        return CIProfile(
            name,
            "CI runner environment: allowlisted variables only, CI=true, TZ=UTC, LANG=C, "
            "LC_ALL=C, TERM=dumb, stdin not a terminal",
            set_env=dict(CI_ENV),
            keep_env=CI_ENV_ALLOWLIST,
        )
    if name == "constrained":
        return CIProfile(
            name,
            f"one CPU (affinity), address space capped at {memory_limit_mb} MB (RLIMIT_AS), "
            "private TMPDIR",
            cpus=1,
            memory_limit_mb=memory_limit_mb,
            private_tmp=True,
        )
    if name == "offline":
        return CIProfile(name, "outbound network blocked", offline=True)
    if name == "parallel":
        return CIProfile(name, "pytest-xdist with 2 workers (-n 2)", xdist_workers=2)
    raise ValueError(f"unknown CI profile {name!r}; known: {', '.join(PROFILE_NAMES)}")
