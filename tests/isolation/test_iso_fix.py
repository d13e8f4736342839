"""`remediate isolation --fix`: a restoring fixture per polluter module, proven before it
is offered, applied through the codemod journal and undone byte for byte."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from cli.main import main
from testing_lib.isolation.fix_fixture import (
    FixtureExists,
    fixture_source,
    insert_fixture,
    restorable,
)
from testing_lib.isolation.order_models import StateLeak

pytest_plugins = ["pytester"]

pytestmark = pytest.mark.slow


def leak(state: str, *subject: str) -> StateLeak:
    return StateLeak(test="p", state=state, detail=f"{state} {subject}", subject=list(subject))  # type: ignore[arg-type]


POLLUTER = '''\
"""Tests that leave state behind."""

import os
import random
import sys

import fastapi

# the app the tests share
from shared import CACHE, Settings, app


def get_user():
    return "real"


def test_pollutes():
    os.environ["FIX_KIND_ENV"] = "1"
    os.chdir("/")
    Settings.debug = True
    CACHE["k"] = 1
    random.seed(1)
    app.dependency_overrides[get_user] = lambda: "fake"
    sys.path.append("/fix-kind")
'''

VICTIM = """\
import os
import random
import sys

import shared
from shared import CACHE, Settings, app


def test_victim(start_cwd=os.getcwd()):
    assert "FIX_KIND_ENV" not in os.environ
    assert os.getcwd() == start_cwd
    assert Settings.debug is False
    assert CACHE == {} and CACHE is shared.CACHE
    assert app.dependency_overrides == {}
    assert "/fix-kind" not in sys.path
    random.seed(None)
"""

SHARED = """\
import fastapi

CACHE = {}
app = fastapi.FastAPI()


class Settings:
    debug = False
"""

EVERY_KIND = [
    leak("env", "FIX_KIND_ENV"),
    leak("cwd", "/somewhere"),
    leak("module_globals", "shared", "Settings.debug"),
    leak("module_globals", "shared", "CACHE"),
    leak("module_globals", "test_a_polluter", "CACHE"),
    leak("random"),
    leak("dependency_overrides", "shared", "app"),
    leak("sys_path", "sys.path"),
]


def test_the_fixture_restores_every_kind_it_names_keeping_shared_objects_shared(
    pytester: pytest.Pytester,
) -> None:
    patched = insert_fixture(POLLUTER, fixture_source(EVERY_KIND))
    pytester.makepyfile(shared=SHARED, test_a_polluter=patched, test_b_victim=VICTIM)
    pytester.syspathinsert()

    pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_without_the_fixture_the_victim_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(shared=SHARED, test_a_polluter=POLLUTER, test_b_victim=VICTIM)
    pytester.syspathinsert()

    pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(
        passed=1, failed=1
    )


def test_the_module_keeps_its_formatting_and_gains_one_fixture() -> None:
    patched = insert_fixture(POLLUTER, fixture_source([leak("env", "A")]))

    assert patched.startswith('"""Tests that leave state behind."""\n\nimport os\n')
    assert "# the app the tests share\nfrom shared import" in patched
    assert patched.count("@pytest.fixture(autouse=True)") == 1
    assert "import pytest\n" in patched
    assert patched.endswith(POLLUTER.split("from shared import CACHE, Settings, app\n", 1)[1])
    with pytest.raises(FixtureExists):
        insert_fixture(patched, fixture_source([leak("env", "A")]))


def test_state_outside_the_process_has_no_restoring_fixture() -> None:
    outside = [
        StateLeak(test="p", state="temp_files", detail="files in the temp folder: created x"),
        StateLeak(test="p", state="database_rows", detail="users: 0 -> 1 rows"),
        StateLeak(test="p", state="env", detail="set A=1"),  # no subject: nothing to restore
    ]
    assert restorable(outside) == []


SUITE = {
    "pytest.ini": "[pytest]\npythonpath = tests\n",
    "tests/settings_mod.py": """
        from fastapi import FastAPI


        class Settings:
            debug = False


        CACHE = {}
        app = FastAPI()


        def get_name():
            return "real"
    """,
    "tests/test_a_polluter.py": """
        import os
        import random
        import sys

        from settings_mod import CACHE, Settings, app, get_name


        def test_turns_debug_on():
            Settings.debug = True


        def test_sets_env():
            os.environ["FIX_SHAPE_MODE"] = "x"


        def test_fills_cache():
            CACHE["k"] = 1


        def test_changes_cwd(tmp_path):
            os.chdir(tmp_path)


        def test_adds_to_sys_path():
            sys.path.insert(0, "/nonexistent/fix_shape_plugins")


        def test_overrides_a_dependency():
            app.dependency_overrides[get_name] = lambda: "stale"


        def test_seeds_random():
            random.seed(12345)
    """,
    "tests/test_b_victim.py": """
        import os
        import pathlib
        import random
        import sys

        from settings_mod import CACHE, Settings, app

        ROOT = pathlib.Path(__file__).resolve().parent.parent
        FIRST_DRAW_AFTER_SEED_12345 = 0.41661987254534116


        def test_reads_debug():
            assert Settings.debug is False


        def test_reads_env():
            assert "FIX_SHAPE_MODE" not in os.environ


        def test_reads_cache():
            assert CACHE == {}


        def test_runs_from_the_root():
            assert pathlib.Path.cwd().resolve() == ROOT


        def test_imports_from_a_clean_path():
            assert "/nonexistent/fix_shape_plugins" not in sys.path


        def test_sees_no_override():
            assert app.dependency_overrides == {}


        def test_draws_fresh_random_numbers():
            assert random.random() != FIRST_DRAW_AFTER_SEED_12345
    """,
    "tests/test_c_files.py": """
        import string

        # an attribute of a standard-library module: state the validator does not track


        def test_writes_marker():
            string.fix_shape_marker = 1


        def test_z_reads_marker():
            assert not hasattr(string, "fix_shape_marker")
    """,
    "tests/test_d_cleanup.py": """
        import string


        def test_removes_marker():
            if hasattr(string, "fix_shape_marker"):
                del string.fix_shape_marker
    """,
    "tests/test_e_no_cleaner.py": """
        import string


        def test_records_seen():
            string.fix_shape_seen = 1


        def test_z_nothing_seen_yet():
            assert not hasattr(string, "fix_shape_seen")
    """,
}


def test_fix_proves_applies_and_undoes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "suite"
    for relative, content in SUITE.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    polluter = root / "tests/test_a_polluter.py"
    original = polluter.read_bytes()

    victim_file = root / "tests/test_c_files.py"
    victim_original = victim_file.read_bytes()
    isolation = ["isolation", str(root), "--orders", "2", "--seed", "1"]

    assert main([*isolation, "--fix"]) == 1
    dry = " ".join(capsys.readouterr().out.split())
    assert polluter.read_bytes() == original  # a dry run writes nothing
    victims = (
        "test_reads_debug",  # a class attribute
        "test_reads_env",  # an environment variable
        "test_reads_cache",  # a module global changed in place
        "test_runs_from_the_root",  # the working directory
        "test_imports_from_a_clean_path",  # sys.path
        "test_sees_no_override",  # a FastAPI dependency override
        "test_draws_fresh_random_numbers",  # the random generator
    )
    for victim in victims:
        assert f"tests/test_b_victim.py::{victim} after" in dry
    assert dry.count(": proven") == len(victims) + 1  # and the file with a cleaner, below
    assert dry.count("✓ failing order") == len(victims) + 1
    assert "+def _restore_leaked_state():" in dry
    # a file left behind, and a test that removes it: its reset, before the victim
    assert "test_z_reads_marker after tests/test_c_files.py::test_writes_marker: proven" in dry
    assert '+@pytest.mark.usefixtures("_reset_like_test_removes_marker")' in dry
    # a file left behind and nothing that cleans it: no fix is offered
    unfixable = "test_z_nothing_seen_yet after tests/test_e_no_cleaner.py::test_records_seen"
    assert f"{unfixable}: no local fix" in dry

    assert main([*isolation, "--fix", "--apply"]) == 1
    applied = capsys.readouterr().out
    assert "applying the fixes of the dry run of" in applied  # as reviewed, not proven again
    assert "patched tests/test_a_polluter.py" in applied
    assert "patched tests/test_c_files.py" in applied
    assert "patched tests/test_e_no_cleaner.py" not in applied

    assert main([*isolation, "--json", str(tmp_path / "r.json")]) == 1
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [entry["test"] for entry in report["order_dependent"]] == [
        "tests/test_e_no_cleaner.py::test_z_nothing_seen_yet"
    ]

    assert main(["fix", "undo", str(root)]) == 0
    assert polluter.read_bytes() == original
    assert victim_file.read_bytes() == victim_original


def test_a_brittle_test_gets_its_state_setters_setup_as_a_fixture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "brittle"
    (root / "tests").mkdir(parents=True)
    (root / "tests/test_a_setter.py").write_text(
        "import os\n\n\ndef test_prepares():\n    os.environ['BRITTLE_READY'] = '1'\n"
    )
    (root / "tests/test_b_needs.py").write_text(
        "import os\n\n\ndef test_needs_it():\n    assert os.environ.get('BRITTLE_READY') == '1'\n"
    )

    assert main(["isolation", str(root), "--orders", "2", "--seed", "1", "--fix"]) == 1

    out = " ".join(capsys.readouterr().out.split())
    assert (
        "tests/test_b_needs.py::test_needs_it after tests/test_a_setter.py::test_prepares: proven"
        in out
    )
    assert "✓ victim alone: tests/test_b_needs.py::test_needs_it passed" in out
    assert '+@pytest.mark.usefixtures("_setup_like_test_prepares")' in out
