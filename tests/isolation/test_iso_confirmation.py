"""Pairs are facts only once replayed; node ids and replays are pytest's, from its rootdir."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from testing_lib.isolation import TestIsolationValidator
from testing_lib.isolation.order_rendering import isolation_markdown
from tests.isolation.conftest import MakeSuite

pytestmark = pytest.mark.slow

CACHE_SUITE = {
    "test_cache.py": """
        CACHE = {}

        def test_reads_an_empty_cache():
            assert CACHE == {}

        def test_warms_the_cache():
            CACHE["user"] = 1
    """,
}


def test_with_pytest_ini_below_the_root_ids_and_replays_are_pytests_own(tmp_path: Path) -> None:
    root = tmp_path / "project"
    tests = root / "tests"
    (tests / "nodes").mkdir(parents=True)
    (tests / "pytest.ini").write_text("[pytest]\ntestpaths = nodes\n", encoding="utf-8")
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    for name, body in CACHE_SUITE.items():
        (tests / "nodes" / name).write_text(textwrap.dedent(body), encoding="utf-8")

    report = TestIsolationValidator(root, orders=2, seed=1).validate_isolation(["tests"])

    assert report.error is None
    assert report.rootdir == "tests"
    (pair,) = report.pairs
    assert pair.victim == "nodes/test_cache.py::test_reads_an_empty_cache"
    assert pair.polluter == "nodes/test_cache.py::test_warms_the_cache"
    assert pair.confirmation == "confirmed"
    assert pair.replay_command.startswith("cd tests && pytest -p no:randomly ")
    assert "(victim, confirmed)" in isolation_markdown(report, "p", tables=False)


def test_a_pair_whose_replay_does_not_reproduce_is_reported_apart_and_not_counted(
    make_suite: MakeSuite,
) -> None:
    # The victim fails after the polluter only inside the validator's worker (its socket
    # variable is set there), never in a fresh pytest process: bisection names the pair,
    # the replay cannot confirm it.
    root = make_suite(
        {
            "test_worker_only.py": """
                import os

                TOUCHED = []

                def test_reads():
                    in_worker = "REMEDIATION_WORKER_SOCKET" in os.environ
                    assert not (TOUCHED and in_worker)

                def test_touches():
                    TOUCHED.append(1)
            """,
        }
    )

    report = TestIsolationValidator(root, orders=2, seed=1).validate_isolation()

    assert report.error is None
    assert report.order_dependent == []
    assert report.pairs == []
    (pair,) = report.unconfirmed
    assert pair.victim == "test_worker_only.py::test_reads"
    assert pair.confirmation == "unconfirmed"
    assert pair.evidence is not None
    assert "did not reproduce: test_worker_only.py::test_reads passed after" in pair.evidence
    assert report.isolation_score == 100.0
    assert report.passed
    assert "## Unconfirmed (not counted as order dependence)" in isolation_markdown(report, "x")


def test_a_class_attribute_is_named_and_a_first_import_is_not_a_leak(
    make_suite: MakeSuite,
) -> None:
    root = make_suite(
        {
            "lazy_helper.py": "CACHE = {}\nLIMIT = 3\n",
            "test_settings.py": """
                class Settings:
                    debug = False

                def test_imports_lazily():
                    import lazy_helper
                    assert lazy_helper.LIMIT == 3

                def test_turns_debug_on():
                    Settings.debug = True

                def test_reads_debug():
                    assert Settings.debug is False
            """,
        }
    )
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n", encoding="utf-8")

    report = TestIsolationValidator(root, orders=2, seed=1).validate_isolation()

    (pair,) = report.pairs
    assert pair.polluter == "test_settings.py::test_turns_debug_on"
    details = [leak.detail for leak in pair.leaks]
    assert "changed test_settings.Settings.debug" in details
    assert not [leak for leak in report.leaks if "lazy_helper" in leak.detail]


SCRATCH_TEST = """
def test_scratch_{n}():
    fixed = os.path.join(tempfile.gettempdir(), "shared_scratch")
    shutil.rmtree(fixed, ignore_errors=True)
    os.makedirs(fixed)
    with open(os.path.join(fixed, "data.txt"), "w") as stream:
        stream.write("{n}")
"""


def test_a_fixed_temp_folder_gives_no_false_pair_and_is_named_as_the_leak(
    make_suite: MakeSuite,
) -> None:
    # Every test deletes and re-creates one fixed folder under the temp dir: runs that
    # shared a temp dir would break each other. One real pair goes through another fixed
    # folder, and its polluter also leaves an unrelated variable set.
    header = "import os, shutil, tempfile\n"
    scratch = "".join(SCRATCH_TEST.format(n=n) for n in range(12))
    root = make_suite(
        {
            "test_a_scratch.py": header + scratch,
            "test_b_export.py": header
            + """
def test_exports():
    os.environ["EXPORT_RAN"] = "1"
    folder = os.path.join(tempfile.gettempdir(), "export_cache")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "report.csv"), "w") as stream:
        stream.write("id\\n")
""",
            "test_c_report.py": header
            + SCRATCH_TEST.format(n="c")
            + """
def test_export_starts_empty():
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), "export_cache"))
""",
        }
    )

    report = TestIsolationValidator(root, orders=4, seed=3, jobs=2).validate_isolation()

    assert report.error is None
    assert report.unconfirmed == []
    (pair,) = report.pairs
    assert (pair.polluter, pair.victim) == (
        "test_b_export.py::test_exports",
        "test_c_report.py::test_export_starts_empty",
    )
    assert pair.confirmation == "confirmed"
    first = pair.leaks[0]
    assert first.state == "temp_files"
    assert "export_cache/" in first.detail
    assert any(leak.state == "env" and "EXPORT_RAN" in leak.detail for leak in pair.leaks)
