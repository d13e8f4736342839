"""Shared fixtures: small target projects generated in tmp dirs, and one Prefect harness."""

from __future__ import annotations

import os
import shutil
import tempfile

# Prefect reads its settings on first import: keep its state out of ~/.prefect, no analytics.
# A home made here (not one given in the environment, e.g. to xdist workers) is removed by
# pytest_unconfigure, which runs however the session ends.
_PREFECT_HOME: str | None = None
if "PREFECT_HOME" not in os.environ:
    _PREFECT_HOME = os.environ["PREFECT_HOME"] = tempfile.mkdtemp(
        prefix="remediation-tests-prefect-"
    )
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# This suite starts several hundred pytest processes on generated targets (gates, isolation
# orders, proofs). Three plugins installed with the engine's dependencies register
# themselves with pytest and import their libraries at start-up: Faker's (with polyfactory;
# it loads every locale), respx's and anyio's (httpx, anyio). No target here uses their
# fixtures or marks (`faker`, `respx_mock`, `anyio`), and together they are two thirds of a
# small pytest run's CPU, so those processes go without them. Set here, it reaches only the
# processes this session starts, never this session itself (pytester, which clears it for
# its runs, gets it back from `_unused_plugins_off_for_pytester`).
_UNUSED_PLUGINS = ("faker", "respx", "anyio")
_ADDOPTS = os.environ.get("PYTEST_ADDOPTS", "").split()
for _plugin in _UNUSED_PLUGINS:
    if f"no:{_plugin}" not in _ADDOPTS:
        _ADDOPTS += ["-p", f"no:{_plugin}"]
os.environ["PYTEST_ADDOPTS"] = ADDOPTS = " ".join(_ADDOPTS)

import re  # noqa: E402
import textwrap  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

PASSING = "def test_ok():\n    assert 1 + 1 == 2\n"
FAILING = "def test_broken():\n    assert 1 + 1 == 3, 'arithmetic drifted'\n"

MakeTarget = Callable[..., Path]


def write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")


def four_phase_files(pyproject: str = "[tool.remediation]\n") -> dict[str, str]:
    """A target whose four default selections each hold passing tests."""
    return {
        "pyproject.toml": pyproject,
        "tests/unit/test_unit_math.py": PASSING
        + "\ndef test_two():\n    assert 'a'.upper() == 'A'\n",
        "tests/integration/api/test_api_ok.py": PASSING,
        "tests/integration/database/test_db_ok.py": PASSING,
        "tests/integration/services/test_services_ok.py": PASSING,
        "tests/integration/auth/test_auth_ok.py": PASSING,
    }


@pytest.fixture
def make_target(tmp_path: Path) -> MakeTarget:
    """Build a target under tmp_path; `extra` files are layered over the four-phase base."""

    def build(
        extra: dict[str, str] | None = None,
        *,
        name: str = "target",
        pyproject: str = "[tool.remediation]\n",
        base: bool = True,
    ) -> Path:
        root = tmp_path / name
        root.mkdir()
        files = four_phase_files(pyproject) if base else {"pyproject.toml": pyproject}
        files.update(extra or {})
        write_tree(root, files)
        return root

    return build


# Parallel runs (pytest-xdist, `--dist loadgroup` in pyproject.toml): tests are spread one by
# one over the workers, except the groups below, each of which runs whole on one worker. The
# groups are given by this scheduler rather than by `xdist_group` marks: xdist 3.8 records a
# mark by rewriting `item._nodeid`, which pytest 9.2 no longer reads, so marks group nothing.
TESTS_DIR = Path(__file__).resolve().parent
# Tests here create, list and drop databases on the one PostgreSQL server, and some assert
# what any process left on it: they run one at a time.
POSTGRES_GROUP = "postgresql"
POSTGRES_DIR = "tests/database/"
# A module with a module-scoped fixture (a whole flow, server or validation run shared by its
# tests) pays for it once per worker that runs its tests: each such module is a group.
_SHARED_FIXTURE = re.compile(r'^@pytest\.fixture\(scope="(?:module|package|class)"', re.M)


def shared_fixture_modules(tests_dir: Path = TESTS_DIR) -> frozenset[str]:
    """Node-id paths (tests/...) of the test modules that define a module-scoped fixture."""
    root = tests_dir.parent
    return frozenset(
        path.relative_to(root).as_posix()
        for path in tests_dir.rglob("test_*.py")
        if _SHARED_FIXTURE.search(path.read_text(encoding="utf-8"))
    )


def xdist_scope(nodeid: str, shared_modules: frozenset[str]) -> str:
    """The work unit of a test: its group, or the test alone."""
    module = nodeid.split("::", 1)[0]
    if module.startswith(POSTGRES_DIR):
        return POSTGRES_GROUP
    if module in shared_modules:
        return module
    return nodeid


@pytest.fixture(autouse=True)
def _unused_plugins_off_for_pytester(request: pytest.FixtureRequest) -> None:
    """pytester clears PYTEST_ADDOPTS for the runs it makes: put the unused plugins' `-p no:`
    back (pytester undoes it after the test, with its own environment changes)."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")
        request.getfixturevalue("monkeypatch").setenv("PYTEST_ADDOPTS", ADDOPTS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a `slow` test first, each kept whole (its module fixtures set up once):
    xdist hands out work in this order, and long tests started last would leave the other
    workers idle at the end."""
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)


@pytest.hookimpl(optionalhook=True)  # a run without xdist has no such hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    shared_modules = shared_fixture_modules()

    class GroupedScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            marked = super()._split_scope(nodeid)  # an `xdist_group` mark, where xdist sees it
            return marked if marked != nodeid else xdist_scope(nodeid, shared_modules)

    return GroupedScheduling(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the Prefect home this session made, after every fixture's teardown."""
    if _PREFECT_HOME is not None:
        shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session (≈15–20 s to start)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
