"""The state kinds real suites leave behind, in fast unit tests: a cwd that no longer exists,
`sys.modules` entries, paths under the temp folder; the score's text; ids of a rootdir below
the project; where a suite with its pytest configuration in `tests/` runs from."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from testing_lib.isolation.fix_fixture import fixture_source, restorable
from testing_lib.isolation.leak_relevance import relevant_leaks
from testing_lib.isolation.order_models import StateLeak
from testing_lib.isolation.order_rendering import score_text
from testing_lib.isolation.replay import same_test
from testing_lib.isolation.suite_home import suite_home

LEAKS_PLUGIN = Path(__file__).resolve().parents[2] / "testing_lib/runner/target_plugins"


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []

    def write(self, kind: str, **fields: object) -> None:
        self.events.append({"event": kind, **fields})


def _tracker(root: Path) -> tuple[object, Recorder]:
    sys.path.insert(0, str(LEAKS_PLUGIN))
    try:
        from remediation_order_leaks import LeakTracker  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(LEAKS_PLUGIN))
    recorder = Recorder()
    return LeakTracker(str(root), recorder), recorder


def test_a_cwd_deleted_under_the_process_is_reported_not_raised(tmp_path: Path) -> None:
    tracker, recorder = _tracker(tmp_path)
    start = os.getcwd()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    try:
        tracker.before("t")  # type: ignore[attr-defined]
        os.chdir(scratch)
        scratch.rmdir()
        tracker.after("t")  # type: ignore[attr-defined]
    finally:
        os.chdir(start)
    (leak,) = [event for event in recorder.events if event["state"] == "cwd"]
    assert "a folder that no longer exists" in str(leak["detail"])
    assert str(scratch) in str(leak["detail"])
    assert leak["subject"] == [start]


def test_project_modules_removed_replaced_and_added_are_reported(tmp_path: Path) -> None:
    package = tmp_path / "pkg_kinds"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "core.py").write_text("VALUE = 1\n")
    (package / "extra.py").write_text("")
    (package / "gone.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        import pkg_kinds.core  # type: ignore[import-not-found]  # noqa: F401
        import pkg_kinds.gone  # type: ignore[import-not-found]  # noqa: F401

        tracker, recorder = _tracker(tmp_path)
        tracker.before("t")  # type: ignore[attr-defined]
        del sys.modules["pkg_kinds.core"]
        del sys.modules["pkg_kinds.gone"]
        import pkg_kinds.core  # noqa: F401, F811
        import pkg_kinds.extra  # type: ignore[import-not-found]  # noqa: F401

        tracker.after("t")  # type: ignore[attr-defined]
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("pkg_kinds")]:
            del sys.modules[name]
    details = {str(e["detail"]): e["subject"] for e in recorder.events}
    assert details["replaced (deleted and imported again) pkg_kinds.core in sys.modules"] == [
        "pkg_kinds.core"
    ]
    assert details["removed pkg_kinds.gone in sys.modules"] == ["pkg_kinds.gone"]
    assert details["imported pkg_kinds.extra in sys.modules"] == ["pkg_kinds.extra"]
    # a replaced module's globals are a new module's, not changes of the old one
    assert not [d for d in details if d.startswith("changed pkg_kinds.core")]


def test_paths_created_under_the_temp_folder_name_the_top_folder_to_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "kept.txt").write_text("original")
    tracker, recorder = _tracker(tmp_path / "project")
    tracker.before("t")  # type: ignore[attr-defined]
    (tmp_path / "cache" / "deep").mkdir(parents=True)
    (tmp_path / "cache" / "deep" / "index.json").write_text("{}")
    (tmp_path / "kept.txt").unlink()
    tracker.after("t")  # type: ignore[attr-defined]
    (leak,) = [event for event in recorder.events if event["state"] == "temp_files"]
    assert leak["subject"] == ["+cache/", "-kept.txt"]


def _run_fixture(source: str, body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """A test module whose polluting test runs under `source`'s fixture, then a checker."""
    module = tmp_path / "test_fixed.py"
    module.write_text("import pytest\n\n" + source + "\n" + textwrap.dedent(body))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            str(module),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path / "temp")},
    )


def test_the_restoring_fixture_puts_modules_and_temp_paths_back(tmp_path: Path) -> None:
    (tmp_path / "temp").mkdir()
    (tmp_path / "temp" / "kept.txt").write_text("original")
    (tmp_path / "shop_fx").mkdir()
    (tmp_path / "shop_fx" / "__init__.py").write_text("")
    (tmp_path / "shop_fx" / "pricing.py").write_text("")
    (tmp_path / "shop_fx" / "plugins.py").write_text("")
    leaks = [
        StateLeak(
            test="p", state="sys_modules", detail="replaced", subject=["shop_fx", "shop_fx.pricing"]
        ),
        StateLeak(test="p", state="sys_modules", detail="imported", subject=["shop_fx.plugins"]),
        StateLeak(test="p", state="temp_files", detail="files", subject=["+cache/", "-kept.txt"]),
    ]
    assert restorable(leaks) == leaks
    result = _run_fixture(
        fixture_source(leaks),
        """
        import importlib, os, sys, tempfile
        sys.path.insert(0, os.getcwd())
        import shop_fx.pricing
        OLD = shop_fx.pricing

        def test_pollutes():
            for name in ["shop_fx", "shop_fx.pricing"]:
                del sys.modules[name]
            importlib.import_module("shop_fx.pricing")
            importlib.import_module("shop_fx.plugins")
            os.makedirs(os.path.join(tempfile.gettempdir(), "cache", "x"))
            os.remove(os.path.join(tempfile.gettempdir(), "kept.txt"))

        def test_z_everything_is_back():
            assert sys.modules["shop_fx.pricing"] is OLD
            assert "shop_fx.plugins" not in sys.modules
            assert not hasattr(sys.modules["shop_fx"], "plugins")
            temp = tempfile.gettempdir()
            assert not os.path.exists(os.path.join(temp, "cache"))
            with open(os.path.join(temp, "kept.txt")) as handle:
                assert handle.read() == "original"
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_cwd_that_was_already_gone_is_not_restorable() -> None:
    gone = StateLeak(test="p", state="cwd", detail="gone", subject=["\0gone:/tmp/x"])
    assert restorable([gone]) == []


def test_a_first_import_counts_for_a_pair_only_where_the_victim_names_the_module() -> None:
    imported = StateLeak(
        test="p",
        state="sys_modules",
        detail="imported shop.plugins in sys.modules",
        subject=["shop.plugins"],
    )
    env = StateLeak(test="p", state="env", detail="set MODE=1", subject=["MODE"])
    assert relevant_leaks([imported, env], 'assert "shop.plugins" not in sys.modules') == [
        imported,
        env,
    ]
    assert relevant_leaks([imported, env], "assert os.environ['MODE']") == [env]


@pytest.mark.parametrize(
    ("score", "text"),
    [
        (100.0, "100.0"),
        (99.97, "99.9"),
        (99.9, "99.9"),
        (57.7, "57.7"),
        (0.04, "0.04"),
        (0.0, "0.0"),
    ],
)
def test_the_score_never_rounds_order_dependence_away(score: float, text: str) -> None:
    assert score_text(score) == text


def test_ids_of_a_rootdir_below_the_folder_they_start_from_name_the_same_test() -> None:
    assert same_test("nodes/x.py::t", "tests/nodes/x.py::t")
    assert same_test("tests/x.py::t", "tests/x.py::t")
    assert not same_test("odes/x.py::t", "tests/nodes/x.py::t")  # whole folder names only
    assert not same_test("y.py::t", "tests/nodes/x.py::t")
    assert not same_test("nodes/x.py::u", "tests/nodes/x.py::t")


def test_a_bare_run_goes_where_the_only_pytest_configuration_is(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "docs").mkdir()
    assert suite_home(tmp_path, []) == tmp_path
    (tmp_path / "tests" / "pytest.ini").write_text("[pytest]\n")
    assert suite_home(tmp_path, []) == tmp_path / "tests"
    assert suite_home(tmp_path, ["tests/unit"]) == tmp_path  # a selection decides itself
    (tmp_path / "docs" / "tox.ini").write_text("[pytest]\n")
    assert suite_home(tmp_path, []) == tmp_path  # two candidates: pytest's own choice
    (tmp_path / "docs" / "tox.ini").unlink()
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    assert suite_home(tmp_path, []) == tmp_path
