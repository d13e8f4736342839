"""Folders the engine cannot read are named, logged and carried to the caller, not skipped.

Root reads `chmod 000` folders, so the tests make a folder behave as it would for another
user (`tests.unreadable`: os.scandir, os.stat and os.access refuse it); one variant uses
chmod for real and runs only when the tests do not run as root.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from testing_lib.config.target import load_target_config
from testing_lib.organizer.discovery import discover
from testing_lib.organizer.models import PytestSettings
from testing_lib.selection import resolve_paths, resolve_selection
from tests.conftest import PASSING, write_tree
from tests.unreadable import Block, deny

FILES = {
    "tests/unit/test_open.py": PASSING,
    "tests/unit/private/test_secret.py": PASSING,
}


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Block:
    return deny(monkeypatch)


def test_discovery_names_the_folder_it_cannot_read(
    tmp_path: Path, unreadable: Block, caplog: pytest.LogCaptureFixture
) -> None:
    write_tree(tmp_path, FILES)
    unreadable(tmp_path / "tests/unit/private")

    with caplog.at_level(logging.WARNING, logger="testing_lib.organizer.discovery"):
        found = discover(tmp_path, PytestSettings())

    assert found.unreadable == ["tests/unit/private"]
    assert found.test_modules == ["tests/unit/test_open.py"]
    assert "tests/unit/private (Permission denied)" in caplog.text


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads chmod 000 folders"
)
def test_discovery_names_a_chmod_000_folder(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    private = tmp_path / "tests/unit/private"
    private.chmod(0)
    try:
        assert discover(tmp_path, PytestSettings()).unreadable == ["tests/unit/private"]
        assert resolve_paths(tmp_path, ["tests/unit"]).unreadable == ("tests/unit/private",)
    finally:
        private.chmod(0o755)


def test_a_readable_tree_has_nothing_unreadable(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)

    assert discover(tmp_path, PytestSettings()).unreadable == []
    assert resolve_paths(tmp_path, ["tests/unit"]).unreadable == ()
    assert resolve_paths(tmp_path, []).unreadable == ()


def test_a_selected_folder_with_an_unreadable_subfolder_is_reported(
    tmp_path: Path, unreadable: Block, caplog: pytest.LogCaptureFixture
) -> None:
    write_tree(tmp_path, FILES)
    unreadable(tmp_path / "tests/unit/private")

    with caplog.at_level(logging.WARNING, logger="testing_lib.selection"):
        selection = resolve_paths(tmp_path, ["tests/unit", "tests/gone"])

    assert selection.existing == ("tests/unit",)
    assert selection.missing == ("tests/gone",)
    assert selection.unreadable == ("tests/unit/private",)
    assert "tests/unit/private (Permission denied)" in caplog.text
    assert resolve_paths(tmp_path, []).unreadable == ("tests/unit/private",)  # whole suite
    assert resolve_paths(tmp_path, ["tests/unit/test_open.py"]).unreadable == ()


def test_a_selected_path_that_cannot_be_looked_at_is_neither_existing_nor_missing(
    tmp_path: Path, unreadable: Block, caplog: pytest.LogCaptureFixture
) -> None:
    write_tree(tmp_path, FILES)
    unreadable(tmp_path / "tests/unit/private")

    with caplog.at_level(logging.WARNING, logger="testing_lib.selection"):
        selection = resolve_paths(tmp_path, ["tests/unit/private/test_secret.py::test_ok"])

    assert (selection.existing, selection.missing) == ((), ())
    assert selection.unreadable == ("tests/unit/private/test_secret.py",)
    assert not selection.runnable
    assert "cannot look at tests/unit/private/test_secret.py" in caplog.text


def test_a_folder_that_lists_but_cannot_be_entered_is_unreadable(
    tmp_path: Path, unreadable: Block
) -> None:
    write_tree(tmp_path, FILES)
    unreadable(tmp_path / "tests/unit/private", listable=True)  # chmod 444

    found = discover(tmp_path, PytestSettings())

    assert found.unreadable == ["tests/unit/private"]
    assert found.test_modules == ["tests/unit/test_open.py"]


def test_a_phase_selecting_by_classification_names_what_it_could_not_read(
    tmp_path: Path, unreadable: Block
) -> None:
    write_tree(tmp_path, {"tests/test_math.py": PASSING, "tests/private/test_more.py": PASSING})
    unreadable(tmp_path / "tests/private")

    config = load_target_config(tmp_path)

    assert config.phase("foundation").paths == ["tests/test_math.py"]
    assert "could not be read" in config.derived_selections["foundation"]
    assert "tests/private" in config.derived_selections["foundation"]
    assert resolve_selection(config, "foundation").unreadable == ("tests/private",)
    empty = resolve_selection(config, "service_integration")
    assert empty.empty_reason is not None
    assert "tests/private" in empty.empty_reason
    assert empty.unreadable == ("tests/private",)
