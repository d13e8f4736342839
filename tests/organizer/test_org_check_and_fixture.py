"""The foundation check "test organization audit", the organizer fixture, the collector's ids."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from testing_lib.checks.organization import ORGANIZATION_CHECK
from testing_lib.config.target import load_target_config
from testing_lib.report import CheckStatus
from testing_lib.runner import run_pytest
from testing_lib.runner.collect import collect_only
from tests.organizer.conftest import MakeProject


def _check(root: Path) -> tuple[CheckStatus, str, dict[str, object]]:
    result = ORGANIZATION_CHECK.run(load_target_config(root, python=sys.executable))
    return result.status, result.details, result.data


def test_collection_breaking_problems_fail_the_check(make_project: MakeProject) -> None:
    root = make_project(
        {
            "tests/unit/a/test_same.py": "def test_a():\n    pass\n",
            "tests/unit/b/test_same.py": "def test_b():\n    pass\n",
        }
    )
    status, details, data = _check(root)

    assert status is CheckStatus.FAILED
    assert "1 problem(s) break collection: tests/unit/b/test_same.py:1 basename_clash" in details
    assert "remediate organize" in details
    assert data["test_modules"] == 2


def test_misplaced_files_only_warn(make_project: MakeProject) -> None:
    root = make_project({"tests/test_loose.py": "def test_a():\n    pass\n"})
    status, details, data = _check(root)

    assert status is CheckStatus.WARNING
    assert "1 file(s) out of place" in details
    assert data["misplaced"] == [
        {
            "source": "tests/test_loose.py",
            "destination": "tests/unit/test_loose.py",
            "reason": "unit test, general (no evidence of real I/O or timing)",
        }
    ]


def test_an_organized_suite_passes(make_project: MakeProject) -> None:
    root = make_project({"tests/unit/test_ok.py": "def test_a():\n    pass\n"})
    status, _, _ = _check(root)

    assert status is CheckStatus.PASSED


def test_the_seed_fixture_audits_the_project_it_runs_in(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(
        "from testing_lib.organizer.organizer_fixtures import test_file_organizer\n"
    )
    pytester.makepyfile(
        test_uses_organizer="""
        def test_organizer(test_file_organizer):
            categories = test_file_organizer.audit_test_files()
            names = [f.path for f in categories["unit"]]
            assert names == ["test_uses_organizer.py"]
            assert test_file_organizer.execute_reorganization().applied is False
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_collected_ids_are_written_only_when_asked(make_project: MakeProject) -> None:
    root = make_project(
        {
            "test_x.py": "import pytest\n\n@pytest.mark.parametrize('n', [1, 2])\n"
            "def test_x(n, missing_fixture):\n    pass\n",
        }
    )
    collection = collect_only(cwd=root, python=sys.executable, timeout_s=120)
    assert collection.ids == ["test_x.py::test_x[1]", "test_x.py::test_x[2]"]
    assert collection.missing_fixtures == {
        "test_x.py::test_x[1]": ["missing_fixture"],
        "test_x.py::test_x[2]": ["missing_fixture"],
    }

    results = root / "results.jsonl"
    run_pytest(cwd=root, selection=["test_x.py"], results_file=results, timeout_s=120)
    events = [json.loads(line)["event"] for line in results.read_text().splitlines()]
    assert "collected_ids" not in events
