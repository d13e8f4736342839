"""The validator on the order-dependent tests planted in the bundled examples, run for real.

The MDRA example's tests/integration/order_dependent (with the app, the suite's conftest and
fixtures, and the example's pyproject.toml, whose `[tool.remediation.isolation]` table selects
the folder) and the whole legacy suite, each copied to a temporary directory: every planted
victim and brittle test is found with its polluter or state-setter and kind, the replay
reproduces it in a new process, and the written order passes; the MDRA pairs whose rows
outlive the test get proven fixes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from flows.defaults import EXAMPLE_TARGET
from testing_lib.config.target import load_target_config
from testing_lib.environment import test_environment_values
from testing_lib.isolation import IsolationReport, validate_isolation
from testing_lib.isolation.fix_plan import propose_fixes
from testing_lib.isolation.fix_proof import ProofSetup
from testing_lib.selection import resolve_isolation_selection

pytestmark = pytest.mark.slow

LEGACY_SUITE = EXAMPLE_TARGET.parent / "legacy_suite"
PLANTED = "tests/integration/order_dependent"
SEED = 1
_IGNORE = shutil.ignore_patterns("__pycache__", ".remediation", ".pytest_cache", "*.db")

MDRA_PAIRS = {
    (
        "test_app_session_commits.py::test_login_is_refused_before_registration",
        "test_app_session_commits.py::test_registration_commits_through_the_app_session",
        "victim",
    ),
    (
        "test_app_session_commits.py::test_the_registered_specialist_can_log_in",
        "test_app_session_commits.py::test_registration_commits_through_the_app_session",
        "brittle",
    ),
    (
        "test_own_app_overrides.py::test_me_without_a_token_is_unauthorized",
        "test_own_app_overrides.py::test_me_returns_the_signed_in_user",
        "victim",
    ),
    (
        "test_search_cache_namespace.py::test_searches_are_cached_under_the_documented_namespace",
        "test_search_cache_namespace.py::test_bumping_the_namespace_invalidates_cached_searches",
        "victim",
    ),
}
REOPEN = (
    "tests/unit/test_reopen_project.py::"
    "test_an_archived_project_can_be_reopened_while_the_flag_is_on"
)
LEGACY_PAIRS = {
    (
        "test_storage.py::test_a_new_owner_has_no_projects",
        "test_storage.py::test_projects_are_listed_by_owner",
        "victim",
    ),
    (
        "test_storage.py::test_a_saved_status_is_read_back",
        "test_storage.py::test_projects_are_listed_by_owner",
        "brittle",
    ),
    ("tests/test_projects.py::test_an_archived_project_cannot_come_back", REOPEN, "victim"),
    ("tests/test_projects_copy.py::test_archived_projects_stay_archived", REOPEN, "victim"),
}


def _pairs(report: IsolationReport, prefix: str = "") -> set[tuple[str, str, str]]:
    return {
        (p.victim.removeprefix(prefix), p.polluter.removeprefix(prefix), p.kind)
        for p in report.pairs
    }


@pytest.fixture(scope="module")
def mdra_report(tmp_path_factory: pytest.TempPathFactory) -> IsolationReport:
    """The planted folder of the MDRA example, validated as the nightly flow does."""
    root = tmp_path_factory.mktemp("planted") / "mdra_backend"
    root.mkdir()
    shutil.copytree(EXAMPLE_TARGET / "mdra", root / "mdra", ignore=_IGNORE)
    shutil.copy2(EXAMPLE_TARGET / "pyproject.toml", root)
    for name in ("tests/__init__.py", "tests/conftest.py", "tests/integration/__init__.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(EXAMPLE_TARGET / name, root / name)
    for folder in ("tests/fixtures", PLANTED):
        shutil.copytree(EXAMPLE_TARGET / folder, root / folder, ignore=_IGNORE)
    config = load_target_config(root)
    return validate_isolation(
        root=config.root,
        python=config.python,
        selection=list(resolve_isolation_selection(config).existing),
        orders=4,
        seed=SEED,
        env=test_environment_values(config.testing),
        extra_args=config.isolation_run().extra_args,
    )


@pytest.fixture(scope="module")
def legacy_report(tmp_path_factory: pytest.TempPathFactory) -> IsolationReport:
    """The whole legacy suite (its two collection errors included), as `remediate isolation`
    runs it."""
    root = tmp_path_factory.mktemp("planted") / "legacy_suite"
    shutil.copytree(LEGACY_SUITE, root, ignore=_IGNORE)
    return validate_isolation(root=root, python=sys.executable, orders=4, seed=SEED)


def test_every_planted_mdra_pair_is_found_with_its_polluter_and_kind(
    mdra_report: IsolationReport,
) -> None:
    assert mdra_report.error is None
    assert mdra_report.tests_collected == 7
    assert _pairs(mdra_report, f"{PLANTED}/") == MDRA_PAIRS
    assert len(mdra_report.order_dependent) == len(MDRA_PAIRS)
    assert all(pair.confirmed for pair in mdra_report.pairs)  # replayed in a new process
    assert mdra_report.runs[0].name == "original"
    assert mdra_report.runs[0].failed == []  # the written order passes
    assert mdra_report.isolation_score == pytest.approx(100 * 3 / 7, abs=0.01)


def test_the_mdra_polluters_leaks_are_named(mdra_report: IsolationReport) -> None:
    leaks = {
        pair.polluter.split("::")[1]: [leak.state for leak in pair.leaks]
        for pair in mdra_report.pairs
    }

    assert "dependency_overrides" in leaks["test_me_returns_the_signed_in_user"]
    assert "module_globals" in leaks["test_bumping_the_namespace_invalidates_cached_searches"]
    details = " ".join(leak.detail for leak in mdra_report.leaks)
    assert "test_own_app_overrides.app.dependency_overrides[get_current_user]" in details
    assert "mdra.api.predicates.SEARCH_CACHE_NAMESPACE" in details


def test_every_planted_legacy_pair_is_found_with_its_polluter_and_kind(
    legacy_report: IsolationReport,
) -> None:
    assert _pairs(legacy_report) == LEGACY_PAIRS
    assert all(pair.confirmed for pair in legacy_report.pairs)
    assert legacy_report.runs[0].failed == []
    assert sorted(e.nodeid for e in legacy_report.collection_errors) == [
        "tests/services/test_openfda_client.py",
        "tests/unit/test_validation.py",
    ]
    reopen = next(p for p in legacy_report.pairs if p.polluter == REOPEN)
    assert [leak.detail for leak in reopen.leaks] == ["changed app.projects._ALLOWED"]


def test_the_app_session_pairs_get_fixes_proven_together_that_leave_no_order_dependence(
    mdra_report: IsolationReport,
) -> None:
    """Rows committed through the app's own session: the polluter gets the project's
    overrides (its session on isolated_db), and the brittle test that relied on those rows
    gets the polluter's setup, on the isolated database too; one patch of the module."""
    module = f"{PLANTED}/test_app_session_commits.py"
    session = mdra_report.model_copy(
        update={"pairs": [p for p in mdra_report.pairs if p.polluter.startswith(module)]}
    )
    root = Path(mdra_report.root)
    config = load_target_config(root)
    setup = ProofSetup(
        python=config.python,
        selection=mdra_report.selection,
        rootdir=mdra_report.rootdir,
        extra_args=config.isolation_run().extra_args,
        env=test_environment_values(config.testing),
        xdist=mdra_report.xdist,
    )

    fixes, plan = propose_fixes(session, setup, failing_orders={})

    assert [(fix.victim.split("::")[1], fix.status) for fix in fixes.fixes] == [
        ("test_login_is_refused_before_registration", "proven"),
        ("test_the_registered_specialist_can_log_in", "proven"),
    ], [fix.reason for fix in fixes.fixes]
    brittle = fixes.fixes[1]
    assert [run.name for run in brittle.proof if run.name == "no new polluter"] == [
        "no new polluter"
    ]
    assert [change.relative for change in plan.changes] == [module]
    diff = plan.changes[0].diff()
    assert '+@pytest.mark.usefixtures("dependency_container")' in diff
    assert (
        "+async def _setup_like_test_registration_commits_through_the_app_session(\n"
        "+    dependency_container,\n"
        "+    real_session_client,\n"
        "+):\n"
    ) in diff

    (root / module).write_bytes(plan.changes[0].after)  # this module's copy: the last reader
    after = validate_isolation(
        root=config.root,
        python=config.python,
        selection=[module],
        orders=4,
        seed=SEED,
        env=test_environment_values(config.testing),
        extra_args=config.isolation_run().extra_args,
    )
    assert after.error is None
    assert after.pairs == []
    assert after.order_dependent == []
    assert after.runs[0].failed == []
