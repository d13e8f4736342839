"""`--victim`: locate the polluter of a known failing test, without detection."""

from __future__ import annotations

import pytest

from cli.main import main
from testing_lib.isolation import TestIsolationValidator
from tests.isolation.conftest import MakeSuite

pytestmark = pytest.mark.slow

SUITE = {
    "test_settings.py": """
        class Settings:
            debug = False

        def test_reads_debug():
            assert Settings.debug is False

        def test_unrelated():
            assert True

        def test_turns_debug_on():
            Settings.debug = True

        def test_also_unrelated():
            assert 1
    """,
}


def test_the_polluter_of_a_known_victim_is_located_and_confirmed(make_suite: MakeSuite) -> None:
    root = make_suite(SUITE)

    report = TestIsolationValidator(
        root, victims=["test_settings.py::test_reads_debug"]
    ).validate_isolation()

    assert report.error is None
    (pair,) = report.pairs
    assert (pair.victim, pair.polluter) == (
        "test_settings.py::test_reads_debug",
        "test_settings.py::test_turns_debug_on",
    )
    assert pair.confirmation == "confirmed"
    assert report.orders_run == ["given"]


def test_a_victim_hidden_by_a_cleaner_in_the_collected_order_is_still_located(
    make_suite: MakeSuite,
) -> None:
    # Cleaners run right before and right after the polluter: in the collected order and
    # reversed (the victim last each time) one of them sits between the polluter and the
    # victim, so only a shuffle shows the victim failing.
    root = make_suite(
        {
            "test_a_polluter.py": """
                import os

                def test_cleans_mode_first():
                    os.environ.pop("SHAPE_MODE", None)

                def test_sets_mode():
                    os.environ["SHAPE_MODE"] = "debug"

                def test_cleans_mode():
                    os.environ.pop("SHAPE_MODE", None)
            """,
            "test_b_others.py": "".join(f"def test_{n}():\n    pass\n\n" for n in range(10)),
            "test_c_victim.py": """
                import os

                def test_reads_mode():
                    assert "SHAPE_MODE" not in os.environ
            """,
        }
    )

    report = TestIsolationValidator(
        root, victims=["test_c_victim.py::test_reads_mode"], seed=1
    ).validate_isolation()

    assert report.error is None
    (pair,) = report.pairs
    assert pair.polluter == "test_a_polluter.py::test_sets_mode"
    assert pair.confirmation == "confirmed"
    assert report.orders_run[0].startswith("global-shuffle(seed=")


def test_a_victim_pytest_did_not_collect_is_an_error_naming_it(make_suite, capsys) -> None:
    root = make_suite(SUITE)
    assert main(["isolation", str(root), "--victim", "test_settings.py::test_nope"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "--victim test_settings.py::test_nope: pytest did not collect that test" in out


def test_confirmed_pairs_are_on_disk_as_confirmed_and_survive_a_cut_short_run(
    make_suite: MakeSuite, tmp_path, monkeypatch
) -> None:
    from testing_lib.exceptions import RunnerError
    from testing_lib.isolation import validator as validator_module

    root = make_suite(SUITE)
    journal = tmp_path / "confirmed.jsonl"

    def out_of_time(*args: object, **kwargs: object) -> None:
        raise RunnerError("isolation validation ran out of its 5 s")

    monkeypatch.setattr(validator_module, "fill_report", out_of_time)
    report = TestIsolationValidator(
        root, victims=["test_settings.py::test_reads_debug"], findings_file=journal
    ).validate_isolation()

    assert report.error == "isolation validation ran out of its 5 s"
    (pair,) = report.pairs  # read back from the journal written as it was confirmed
    assert pair.polluter == "test_settings.py::test_turns_debug_on"
    assert pair.confirmation == "confirmed"
    assert len(journal.read_text().splitlines()) == 1
