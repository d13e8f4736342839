"""The validator on generated suites with planted victims, polluters, a brittle test and a
cleaner, run for real with the target's interpreter."""

from __future__ import annotations

import math
import sys
import textwrap

import pytest

from testing_lib.isolation import IsolationReport, TestIsolationValidator, build_orders
from testing_lib.isolation.replay import REPLAYS
from testing_lib.runner import probe_interpreter

from .conftest import MakeSuite

pytestmark = pytest.mark.slow

SUITE = {
    "pytest.ini": "[pytest]\npythonpath = .\n",
    "app/__init__.py": "",
    "app/settings.py": """
        class Config:
            def __init__(self):
                self.debug = False

        config = Config()
    """,
    "tests/__init__.py": "",
    "tests/test_cache.py": """
        CACHE = {}

        def test_warms_cache():
            CACHE["user"] = 1

        def test_reads_cache():
            assert CACHE["user"] == 1
    """,
    "tests/test_env_polluter.py": """
        import os

        def test_sets_env():
            os.environ["FEATURE_FLAG"] = "on"
    """,
    "tests/test_feature.py": """
        import os

        def test_flag_off():
            assert os.environ.get("FEATURE_FLAG") != "on"
    """,
    "tests/test_filler.py": """
        import pytest

        @pytest.mark.parametrize("n", range(24))
        def test_filler(n):
            assert n >= 0
    """,
    "tests/test_mode_a.py": """
        import os

        def test_sets_mode():
            os.environ["MODE"] = "maintenance"
    """,
    "tests/test_mode_b.py": """
        import os

        def test_clears_mode():
            os.environ.pop("MODE", None)
    """,
    "tests/test_mode_c.py": """
        import os

        def test_mode_unset():
            assert "MODE" not in os.environ
    """,
    "tests/test_mutates.py": """
        from app.settings import config

        def test_enables_debug():
            config.debug = True
    """,
    "tests/test_reads.py": """
        from app.settings import config

        def test_debug_is_off():
            assert config.debug is False
    """,
}

CACHE_IDS = ["tests/test_cache.py::test_warms_cache", "tests/test_cache.py::test_reads_cache"]
IDS = [
    *CACHE_IDS,
    "tests/test_env_polluter.py::test_sets_env",
    "tests/test_feature.py::test_flag_off",
    *[f"tests/test_filler.py::test_filler[{n}]" for n in range(24)],
    "tests/test_mode_a.py::test_sets_mode",
    "tests/test_mode_b.py::test_clears_mode",
    "tests/test_mode_c.py::test_mode_unset",
    "tests/test_mutates.py::test_enables_debug",
    "tests/test_reads.py::test_debug_is_off",
]
SETS_MODE, CLEARS_MODE, MODE_UNSET = IDS[-5], IDS[-4], IDS[-3]


def _mode_victim_fails(ids: tuple[str, ...]) -> bool:
    """MODE is set when test_mode_unset runs: test_sets_mode ran before it, uncleaned."""
    a, b, c = ids.index(SETS_MODE), ids.index(CLEARS_MODE), ids.index(MODE_UNSET)
    return a < c and not a < b < c


def _seed_where_only_a_shuffle_fails() -> int:
    for seed in range(10_000):
        orders = build_orders(IDS, 4, seed)
        if any(_mode_victim_fails(o.ids) for o in orders[2:]):
            assert not any(_mode_victim_fails(o.ids) for o in orders[:2])
            return seed
    raise AssertionError("no seed makes a shuffle fail the MODE victim")


@pytest.fixture(scope="module")
def target_python() -> str:
    """The venv's base interpreter (pytest, no testing_lib) when there is one, else ours."""
    base = getattr(sys, "_base_executable", None)
    if base and base != sys.executable:
        info = probe_interpreter(base)
        if info.has_pytest and not info.has_testing_lib:
            return base
    return sys.executable


@pytest.fixture(scope="module")
def validator(
    tmp_path_factory: pytest.TempPathFactory, target_python: str
) -> TestIsolationValidator:
    root = tmp_path_factory.mktemp("planted")
    for relative, content in SUITE.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    validator = TestIsolationValidator(
        root, python=target_python, orders=4, seed=_seed_where_only_a_shuffle_fails()
    )
    validator.validate_isolation()
    return validator


@pytest.fixture(scope="module")
def planted(validator: TestIsolationValidator) -> IsolationReport:
    assert validator.report is not None
    return validator.report


def test_the_suite_collects_as_planned(planted: IsolationReport) -> None:
    assert planted.error is None
    assert planted.tests_collected == len(IDS)
    assert planted.runs[0].name == "original"


def test_every_planted_relation_is_found_with_its_kind(planted: IsolationReport) -> None:
    found = {(p.victim, p.polluter, p.kind) for p in planted.pairs}

    assert found == {
        (
            "tests/test_feature.py::test_flag_off",
            "tests/test_env_polluter.py::test_sets_env",
            "victim",
        ),
        (
            "tests/test_reads.py::test_debug_is_off",
            "tests/test_mutates.py::test_enables_debug",
            "victim",
        ),
        (
            "tests/test_cache.py::test_reads_cache",
            "tests/test_cache.py::test_warms_cache",
            "brittle",
        ),
        (MODE_UNSET, SETS_MODE, "victim"),
    }
    assert sorted(planted.order_dependent_tests) == sorted(p.victim for p in planted.pairs)


def test_the_cleaner_between_polluter_and_victim_is_named(planted: IsolationReport) -> None:
    (mode,) = [p for p in planted.pairs if p.victim == MODE_UNSET]

    assert mode.cleaners == [CLEARS_MODE]


def test_a_victim_that_fails_only_in_a_shuffle_is_found(planted: IsolationReport) -> None:
    (entry,) = [e for e in planted.order_dependent if e.test == MODE_UNSET]

    assert entry.failing_orders
    assert all("shuffle" in name for name in entry.failing_orders)
    assert {"original", "reversed"} <= set(entry.passing_orders)


def test_bisection_stays_within_log2_n_plus_3_runs_per_victim(planted: IsolationReport) -> None:
    budget = math.ceil(math.log2(len(IDS))) + 3

    assert all(p.bisection_runs <= budget for p in planted.pairs), [
        (p.victim, p.bisection_runs) for p in planted.pairs
    ]


def test_each_replay_command_reproduces_in_a_new_pytest_process(planted: IsolationReport) -> None:
    assert [p.confirmation for p in planted.pairs] == ["confirmed"] * len(planted.pairs)
    assert [p.confirmed for p in planted.pairs] == [True] * len(planted.pairs)
    assert planted.unconfirmed == []
    assert all(p.replay_command.startswith("pytest -p no:randomly ") for p in planted.pairs)
    # the worker, then per pair its replays and the test alone, each in a new process
    assert planted.processes_started == 1 + (REPLAYS + 1) * len(planted.pairs)
    alone = {"victim": "; alone: passed", "brittle": "; alone: failed"}
    assert all(p.evidence and p.evidence.endswith(alone[p.kind]) for p in planted.pairs)
    assert planted.pytest_executions > planted.processes_started


def test_the_polluters_leaked_state_is_named(planted: IsolationReport) -> None:
    leaks = {(p.polluter, leak.state, leak.detail) for p in planted.pairs for leak in p.leaks}

    assert ("tests/test_env_polluter.py::test_sets_env", "env", "set FEATURE_FLAG='on'") in leaks
    assert (
        "tests/test_mutates.py::test_enables_debug",
        "module_globals",
        "changed app.settings.config",
    ) in leaks
    assert (
        "tests/test_cache.py::test_warms_cache",
        "module_globals",
        "changed tests.test_cache.CACHE",
    ) in leaks


def test_the_score_is_the_share_of_tests_whose_outcome_does_not_depend_on_order(
    planted: IsolationReport,
) -> None:
    assert planted.isolation_score == pytest.approx(100 * (len(IDS) - 4) / len(IDS), abs=0.01)
    scores = {r.test_name: r.isolation_score for r in planted.results}
    assert scores["tests/test_filler.py::test_filler[0]"] == 1.0
    assert scores["tests/test_feature.py::test_flag_off"] < 1.0


def test_the_seeds_questions_are_answered_from_the_run(validator: TestIsolationValidator) -> None:
    assert validator.detect_state_leakage("tests/test_env_polluter.py::test_sets_env")
    assert not validator.detect_state_leakage("tests/test_filler.py::test_filler[3]")
    assert validator.measure_isolation_score("tests/test_filler.py::test_filler[3]") == 1.0


def test_the_target_interpreter_lacks_this_project(target_python: str) -> None:
    if target_python == sys.executable:
        pytest.skip("no interpreter without this project on this machine")
    assert not probe_interpreter(target_python).has_testing_lib


def test_a_clean_suite_passes_with_a_perfect_score(make_suite: MakeSuite) -> None:
    root = make_suite(
        {
            "test_clean.py": """
            import pytest

            @pytest.mark.parametrize("n", range(5))
            def test_pure(n, monkeypatch):
                monkeypatch.setenv("N", str(n))
                assert n * 0 == 0
            """
        }
    )

    report = TestIsolationValidator(root, orders=3, seed=1).validate_isolation()

    assert report.passed
    assert report.isolation_score == 100.0
    assert report.pairs == []
    assert report.leaks == []


def test_a_broken_module_is_reported_as_a_collection_error(make_suite: MakeSuite) -> None:
    root = make_suite({"test_ok.py": "def test_ok():\n    pass\n", "test_bad.py": "def broken(:\n"})

    report = TestIsolationValidator(root, orders=1, seed=1).validate_isolation()

    assert [e.nodeid for e in report.collection_errors] == ["test_bad.py"]
    assert not report.passed


def test_a_selection_without_tests_is_an_error_that_says_so(make_suite: MakeSuite) -> None:
    root = make_suite({"test_none.py": "X = 1\n"})

    report = TestIsolationValidator(root, orders=2, seed=1).validate_isolation()

    assert report.error is not None
    assert "collected no tests" in report.error
    assert not report.passed


def test_a_failing_test_that_fails_alone_too_is_not_order_dependent(make_suite: MakeSuite) -> None:
    root = make_suite({"test_broken.py": "def test_broken():\n    assert 1 == 2\n"})

    report = TestIsolationValidator(root, orders=2, seed=1).validate_isolation()

    assert report.order_dependent == []
    assert report.consistently_failing == ["test_broken.py::test_broken"]


def test_state_leaks_are_detected_per_test(make_suite: MakeSuite) -> None:
    pytest.importorskip("fastapi")
    root = make_suite(
        {
            "pytest.ini": "[pytest]\npythonpath = .\n",
            "webapp.py": """
            from fastapi import FastAPI

            app = FastAPI()

            def get_db():
                return "real"

            def fetch_label():
                return "from openFDA"
            """,
            "test_leaks.py": """
            import os
            import random
            import threading

            import webapp
            from webapp import app, get_db

            OPEN = []
            STOP = threading.Event()

            def test_leaves_override():
                app.dependency_overrides[get_db] = lambda: "fake"

            def test_changes_cwd(tmp_path):
                os.chdir(tmp_path)

            def test_seeds_random():
                random.seed(1)

            def test_opens_a_file(tmp_path):
                OPEN.append(open(tmp_path / "kept.txt", "w"))

            def test_starts_a_thread():
                threading.Thread(target=STOP.wait, name="leaky-worker", daemon=True).start()

            def test_rebinds_a_service_function():
                webapp.fetch_label = lambda: "fake"

            def test_extends_the_import_path():
                import sys
                sys.path.append("/leaky/import/path")

            def test_cleans_up(monkeypatch):
                monkeypatch.setenv("TEMPORARY", "1")
                monkeypatch.syspath_prepend("/restored/path")
            """,
        }
    )

    report = TestIsolationValidator(
        root, python=sys.executable, orders=1, seed=1, confirm=False
    ).validate_isolation()

    states = {(leak.test.split("::")[1], leak.state) for leak in report.leaks}
    assert {
        ("test_leaves_override", "dependency_overrides"),
        ("test_changes_cwd", "cwd"),
        ("test_seeds_random", "random"),
        ("test_opens_a_file", "open_files"),
        ("test_starts_a_thread", "threads"),
        ("test_rebinds_a_service_function", "module_globals"),
        ("test_extends_the_import_path", "sys_path"),
    } <= states
    assert not [s for s in states if s[0] == "test_cleans_up"]
    (override,) = [leak for leak in report.leaks if leak.state == "dependency_overrides"]
    assert override.detail == "left webapp.app.dependency_overrides[get_db] set"
    assert "changed webapp.fetch_label" in {leak.detail for leak in report.leaks}
    assert "changed sys.path: added /leaky/import/path" in {leak.detail for leak in report.leaks}


def test_a_hanging_test_ends_the_validation_at_its_time_limit_and_leaves_no_process(
    make_suite: MakeSuite,
) -> None:
    import psutil

    root = make_suite(
        {
            "test_hang.py": """
            import time

            def test_hangs():
                time.sleep(120)
            """
        }
    )

    before = set(psutil.Process().children(recursive=True))  # e.g. a Prefect test server

    report = TestIsolationValidator(root, orders=2, seed=1, timeout_s=4).validate_isolation()

    assert report.error is not None
    assert "timeout_s" in report.error
    assert not report.passed
    assert set(psutil.Process().children(recursive=True)) - before == set()


def test_a_suite_that_runs_under_xdist_by_default_is_validated(make_suite: MakeSuite) -> None:
    root = make_suite(
        {
            "test_cache.py": """
                CACHE = {}

                def test_reads_an_empty_cache():
                    assert CACHE == {}

                def test_warms_the_cache():
                    CACHE["user"] = 1
            """,
        }
    )
    (root / "pytest.ini").write_text("[pytest]\naddopts = -n 2\n", encoding="utf-8")

    report = TestIsolationValidator(root, orders=2, seed=1).validate_isolation()

    assert report.error is None
    assert report.order_dependent_tests == ["test_cache.py::test_reads_an_empty_cache"]
