"""The final_validation check and the nightly flow on generated targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.artifacts import artifact_key
from testing_lib.checks.order_isolation import ISOLATION_CHECK, check_isolation
from testing_lib.config.target import load_target_config
from testing_lib.isolation import IsolationReport
from testing_lib.isolation.history import history_dir
from testing_lib.report import CheckStatus
from tests.conftest import MakeTarget

pytestmark = pytest.mark.slow

POLLUTER = """
import os

def test_sets_token():
    os.environ["API_TOKEN"] = "leaked"
"""
VICTIM = """
import os

def test_no_token():
    assert "API_TOKEN" not in os.environ
"""


def test_the_check_fails_on_an_order_dependent_test_and_names_its_polluter(
    make_target: MakeTarget,
) -> None:
    root = make_target(
        {"tests/unit/test_a_polluter.py": POLLUTER, "tests/unit/test_b_victim.py": VICTIM}
    )

    result = check_isolation(load_target_config(root), orders=2)

    assert result.status is CheckStatus.FAILED
    assert "tests/unit/test_b_victim.py::test_no_token (victim" in result.details
    assert "after tests/unit/test_a_polluter.py::test_sets_token" in result.details
    assert result.data["orders"] == ["original", "reversed"]


def test_the_check_passes_a_suite_whose_order_does_not_matter(make_target: MakeTarget) -> None:
    result = ISOLATION_CHECK.run(load_target_config(make_target()))

    assert result.status is CheckStatus.PASSED, result.details
    assert "6 tests in 2 orders" in result.details


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_nightly_flow_fails_saves_history_and_names_new_dependencies(
    make_target: MakeTarget,
) -> None:
    from flows.nightly_isolation import nightly_isolation

    root = make_target()
    first = nightly_isolation(
        target=str(root), orders=2, seed=5, ci_profiles=True, return_state=True
    )
    assert first.is_completed()
    clean_night = latest_markdown(artifact_key(root.name, "isolation"))
    assert "## CI profiles (deep)\n\n**passed**: no test changed outcome under ci, offline" in (
        clean_night
    )
    (root / "tests/unit/test_a_polluter.py").write_text(POLLUTER)
    (root / "tests/unit/test_b_victim.py").write_text(VICTIM)

    second = nightly_isolation(target=str(root), orders=2, seed=5, return_state=True)

    assert second.is_failed()
    report = getattr(second.result(raise_on_failure=False), "report", None)
    assert isinstance(report, IsolationReport)
    assert report.order_dependent_tests == ["tests/unit/test_b_victim.py::test_no_token"]
    assert "1 new" in (second.message or "")
    saved = sorted(history_dir(root).glob("*.json"))
    assert len(saved) == 2
    assert json.loads(saved[-1].read_text())["seed"] == 5
    # the new pair comes with its proven fix: a patch file, and the diff in the artifact
    patch = history_dir(root) / "fixes" / saved[-1].stem / "tests__unit__test_a_polluter.py.diff"
    assert '+    environ = {key: os.environ.get(key) for key in ["API_TOKEN"]}' in patch.read_text()
    markdown = latest_markdown(artifact_key(root.name, "isolation"))
    assert "### `tests/unit/test_b_victim.py::test_no_token`" in markdown
    assert "- polluter: `tests/unit/test_a_polluter.py::test_sets_token`" in markdown
    assert "- fix: **proven**" in markdown
    assert "```diff" in markdown
    assert f"Apply it: `remediate isolation {root} --seed 5 --orders 2 --fix --apply`" in markdown


@pytest.mark.usefixtures("prefect_harness")
def test_a_night_with_cures_off_names_the_pair_and_proposes_no_fix(make_target: MakeTarget) -> None:
    from flows.nightly_isolation import nightly_isolation

    root = make_target()
    (root / "tests/unit/test_a_polluter.py").write_text(POLLUTER)
    (root / "tests/unit/test_b_victim.py").write_text(VICTIM)

    night = nightly_isolation(target=str(root), orders=2, seed=5, cures="off", return_state=True)

    assert night.is_failed()
    markdown = latest_markdown(artifact_key(root.name, "isolation"))
    assert "`tests/unit/test_b_victim.py::test_no_token` (victim): after" in markdown
    assert "- fix:" not in markdown
    assert not (history_dir(root) / "fixes").exists()


def latest_markdown(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        (artifact,) = client.read_latest_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    return str(artifact.data)


def test_history_files_sort_in_the_order_they_were_written(tmp_path: Path) -> None:
    from testing_lib.isolation.history import previous_reports, save_isolation_report

    for seed in (3, 1, 2):
        save_isolation_report(
            tmp_path, IsolationReport(root="r", python="p", seed=seed, isolation_score=100)
        )

    assert [r.seed for _, r in previous_reports(tmp_path)] == [3, 1, 2]


def test_the_markdown_names_the_seed_each_dependency_and_its_replay() -> None:
    from testing_lib.isolation import OrderDependentTest, StateLeak
    from testing_lib.isolation.order_rendering import isolation_markdown

    report = IsolationReport(
        root="r",
        python="p",
        seed=42,
        isolation_score=75,
        orders_run=["original", "reversed"],
        runs=[],
        order_dependent=[
            OrderDependentTest(
                test="tests/test_b.py::test_v",
                kind="victim",
                polluters=["tests/test_a.py::test_p"],
                replay="pytest -p no:randomly tests/test_a.py::test_p tests/test_b.py::test_v",
            )
        ],
        leaks=[StateLeak(test="tests/test_a.py::test_p", state="env", detail="set X='1'")],
    )

    markdown = isolation_markdown(report, "target")

    assert "seed: `42`" in markdown
    assert "| `tests/test_b.py::test_v` | victim | `tests/test_a.py::test_p` | - |" in markdown
    assert "`pytest -p no:randomly tests/test_a.py::test_p tests/test_b.py::test_v`" in markdown
    assert "| `tests/test_a.py::test_p` | env | set X='1' |" in markdown

    listed = isolation_markdown(report, "target", tables=False)  # the terminal's form

    assert "| --- |" not in listed
    assert (
        "- `tests/test_b.py::test_v` (victim): after `tests/test_a.py::test_p`; replay "
        "`pytest -p no:randomly tests/test_a.py::test_p tests/test_b.py::test_v`" in listed
    )
    assert "- `tests/test_a.py::test_p` (env): set X='1'" in listed
