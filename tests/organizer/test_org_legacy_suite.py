"""examples/legacy_suite, organized through the CLI: no test lost, no collection error added.

Works on a private copy; the example itself is never touched.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest

from cli.organize import main
from testing_lib.runner.collect import collect_only
from tests.organizer.conftest import LEGACY_SUITE, tree_digest


def _module_ids(root: Path) -> tuple[Counter[str], list[str]]:
    collection = collect_only(cwd=root, python=sys.executable, timeout_s=120)
    ids: Counter[str] = Counter()
    for nodeid in collection.ids:
        path, _, rest = nodeid.partition("::")
        ids[f"{PurePosixPath(path).stem}::{rest}"] += 1
    return ids, sorted(e.nodeid for e in collection.errors)


def test_organizing_the_legacy_suite_keeps_every_test_and_undo_restores_it(
    legacy_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")  # as users run it: every plugin loads
    original = tree_digest(LEGACY_SUITE)
    before_ids, before_errors = _module_ids(legacy_copy)
    assert before_errors == [
        "tests/services/test_openfda_client.py",
        "tests/unit/test_validation.py",
    ]
    report_path = tmp_path / "organize.json"

    assert (
        main([str(legacy_copy), "--apply", "--json", str(report_path), "--python", sys.executable])
        == 0
    )

    report = json.loads(report_path.read_text())
    renames = {
        PurePosixPath(e["source"]).stem: PurePosixPath(e["destination"]).stem
        for e in report["plan"]
        if e["source"] != e["destination"]
    }
    after_ids, after_errors = _module_ids(legacy_copy)
    expected = Counter(
        {
            f"{renames.get(k.split('::')[0], k.split('::')[0])}::{k.split('::', 1)[1]}": n
            for k, n in before_ids.items()
        }
    )
    assert expected - after_ids == Counter()  # every test id is still collected
    assert after_errors == []  # and the two collection errors are gone
    assert (report["errors_before"], report["errors_after"], report["rolled_back"]) == (2, 0, False)
    assert report["collected_before"] == sum(before_ids.values())
    assert report["collected_after"] == sum(after_ids.values()) > report["collected_before"]
    layout = set(tree_digest(legacy_copy))
    assert {
        "tests/conftest.py",
        "tests/fixtures/helpers.py",
        "tests/integration/database/test_project_flow.py",
        "tests/quarantine/test_projects_copy.py",
        "tests/performance/test_predicate_search_load.py",
        "scripts/seed_demo_data.py",
    } <= layout
    assert not any(p.startswith("test_") for p in layout)  # nothing left at the root

    assert main([str(legacy_copy), "--undo"]) == 0
    assert tree_digest(legacy_copy) == original
    assert tree_digest(LEGACY_SUITE) == original


def test_the_json_report_has_the_documented_shape(legacy_copy: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "dry.json"
    before = tree_digest(legacy_copy)

    assert main([str(legacy_copy), "--json", str(report_path)]) == 0

    assert tree_digest(legacy_copy) == before  # a dry run changes nothing
    report = json.loads(report_path.read_text())
    file = next(f for f in report["files"] if f["path"] == "tests/unit/test_project_flow.py")
    assert {k: file[k] for k in ("category", "functionality", "test_count")} == {
        "category": "integration",
        "functionality": "database",
        "test_count": 3,
    }
    assert "sqlite3" in file["dependencies"]
    assert any(e["detail"] == "uses fixture db" for e in file["evidence"])
    copy = next(d for d in report["duplicates"] if d["b"] == "tests/test_projects_copy.py")
    assert (copy["a"], copy["similarity"] > 0, len(copy["tests"])) == (
        "tests/test_projects.py",
        True,
        2,
    )
    clash = next(p for p in report["problems"] if p["kind"] == "basename_clash")
    assert (clash["path"], clash["line"]) == ("tests/unit/test_validation.py", 1)
    entry = next(e for e in report["plan"] if e["source"] == "tests/test_seed_demo_data.py")
    assert (entry["destination"], entry["action"]) == ("scripts/seed_demo_data.py", "move")
    assert (report["collected_before"], report["rolled_back"]) == (None, None)
    paths = [f["path"] for f in report["files"]] + [e["destination"] for e in report["plan"]]
    assert all("\\" not in p and not p.startswith("/") for p in paths)
