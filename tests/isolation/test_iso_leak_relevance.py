"""A pair shows the few leaks that explain its victim, those its module names first."""

from __future__ import annotations

from pathlib import Path

from testing_lib.isolation.leak_relevance import relevant_leaks, victim_source
from testing_lib.isolation.order_models import StateLeak


def leak(state: str, detail: str) -> StateLeak:
    return StateLeak(test="t.py::test_polluter", state=state, detail=detail)  # type: ignore[arg-type]


def test_the_state_the_victim_reads_comes_first_and_at_most_five_are_kept() -> None:
    leaks = [leak("env", f"set NOISE_{n}=1") for n in range(6)] + [
        leak("module_globals", "changed app.settings.Settings.debug"),
        leak("temp_files", "files in the temp folder: created export_cache/"),
    ]
    source = "from app.settings import Settings\n\ndef test_x():\n    assert not Settings.debug\n"

    ranked = relevant_leaks(leaks, source)

    assert len(ranked) == 5
    assert ranked[0].detail == "changed app.settings.Settings.debug"
    assert [r.detail for r in ranked[1:]] == [f"set NOISE_{n}=1" for n in range(4)]


def test_without_a_named_state_the_order_seen_is_kept() -> None:
    leaks = [leak("env", "set A_VAR=1"), leak("random", "changed the global random state")]

    assert relevant_leaks(leaks, "") == leaks


def test_the_victims_module_is_read_from_pytests_rootdir(tmp_path: Path) -> None:
    (tmp_path / "nodes").mkdir()
    (tmp_path / "nodes" / "test_v.py").write_text("EXPORT = 1\n", encoding="utf-8")

    assert victim_source(tmp_path, "nodes/test_v.py::test_v[1]") == "EXPORT = 1\n"
    assert victim_source(tmp_path, "missing.py::test_v") == ""
