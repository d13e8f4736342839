"""Generated suites in the shapes real projects leave their order dependence in.

Each shape is a pair (polluter, victim) where `pytest POLLUTER VICTIM` fails and
`pytest VICTIM` passes, in a fresh process, from pytest's rootdir:

- dangling-cwd: the polluter chdirs into a temporary folder that is then deleted;
- sys-modules-reload: the polluter deletes a package from `sys.modules` and imports it
  again, so the victim patches the new module while holding the old one;
- sys-modules-import: the polluter imports a module the victim expects not to be loaded;
- temp-folder: the polluter creates a folder under the temp dir (a CLI's cache), the
  victim expects a first run;
- import-time: a helper module changes global state when imported; the victim passes
  alone and fails when that helper's importer is collected with it;
- shared-fixture: tests share a module-scoped parametrized fixture's value and one deletes
  a key from it.

`write_suite` lays them all in one project whose `pytest.ini` lives in `tests/` (pytest's
rootdir below the project root), as on the large public suites.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import NamedTuple


class Shape(NamedTuple):
    name: str
    polluter: str  # pytest node id, relative to pytest's rootdir (tests/)
    victim: str


SHAPES = [
    Shape(
        "dangling-cwd",
        "test_a_chdir.py::test_works_in_scratch",
        "test_b_reader.py::test_reads_project_file",
    ),
    Shape(
        "sys-modules-reload",
        "test_c_reload.py::test_reloads_the_package",
        "test_d_patch.py::test_patched_rate",
    ),
    Shape(
        "sys-modules-import",
        "test_e_plugins.py::test_loads_every_plugin",
        "test_f_lazy.py::test_plugins_load_lazily",
    ),
    Shape(
        "temp-folder",
        "test_g_cache.py::test_warm_run_uses_cache",
        "test_h_first_run.py::test_first_run_has_no_cache",
    ),
    Shape(
        "shared-fixture",
        "test_k_params.py::test_drops_the_timeout[sqlite]",
        "test_k_params.py::test_uses_the_timeout[sqlite]",
    ),
    Shape(
        "import-time",
        "test_i_uses_helper.py::test_uses_testing_mode",
        "test_j_mode.py::test_default_mode",
    ),
]

FILES = {
    "data/config.txt": "ok\n",
    "shop/__init__.py": "",
    "shop/pricing.py": "def rate():\n    return 1\n",
    "shop/checkout.py": """\
        from shop import pricing


        def total():
            return pricing.rate() * 10
    """,
    "shop/plugins.py": "LOADED = True\n",
    "shop/modes.py": 'MODE = "default"\n',
    "tests/pytest.ini": "[pytest]\npythonpath = ..\n",
    "tests/helpers.py": """\
        from shop import modes

        modes.MODE = "testing"  # set when the helper is imported
    """,
    "tests/test_a_chdir.py": """\
        import os
        import tempfile


        def test_works_in_scratch():
            scratch = tempfile.TemporaryDirectory()
            os.chdir(scratch.name)
            with open("out.txt", "w") as handle:
                handle.write("x")
            scratch.cleanup()
    """,
    "tests/test_b_reader.py": """\
        from pathlib import Path


        def test_reads_project_file():
            assert Path("../data/config.txt").read_text() == "ok\\n"
    """,
    "tests/test_c_reload.py": """\
        import importlib
        import sys


        def test_reloads_the_package():
            for name in [n for n in sys.modules if n == "shop" or n.startswith("shop.")]:
                del sys.modules[name]
            assert importlib.import_module("shop.checkout").total() == 10
    """,
    "tests/test_d_patch.py": """\
        from unittest import mock

        from shop import checkout


        def test_patched_rate():
            with mock.patch("shop.pricing.rate", return_value=3):
                assert checkout.total() == 30
    """,
    "tests/test_e_plugins.py": """\
        import importlib


        def test_loads_every_plugin():
            assert importlib.import_module("shop.plugins").LOADED
    """,
    "tests/test_f_lazy.py": """\
        import sys


        def test_plugins_load_lazily():
            assert "shop.plugins" not in sys.modules
    """,
    "tests/test_g_cache.py": """\
        import os
        import tempfile


        def test_warm_run_uses_cache():
            cache = os.path.join(tempfile.gettempdir(), "shapes-cli-cache")
            os.makedirs(cache, exist_ok=True)
            with open(os.path.join(cache, "index.json"), "w") as handle:
                handle.write("{}")
    """,
    "tests/test_h_first_run.py": """\
        import os
        import tempfile


        def test_first_run_has_no_cache():
            assert not os.path.exists(os.path.join(tempfile.gettempdir(), "shapes-cli-cache"))
    """,
    "tests/test_i_uses_helper.py": """\
        import helpers
        from shop import modes


        def test_uses_testing_mode():
            assert helpers.modes.MODE == "testing"


        def test_resets_the_mode():
            modes.MODE = "default"
    """,
    "tests/test_k_params.py": """\
        import pytest


        @pytest.fixture(scope="module", params=["sqlite", "postgres"])
        def settings(request):
            return {"backend": request.param, "timeout": 5}


        def test_drops_the_timeout(settings):
            settings.pop("timeout")
            assert "timeout" not in settings


        def test_uses_the_timeout(settings):
            assert settings["timeout"] == 5
    """,
    "tests/test_j_mode.py": """\
        from shop import modes


        def test_default_mode():
            assert modes.MODE == "default"
    """,
}


def write_suite(root: Path) -> Path:
    """The project (`root`), every shape in it; returns pytest's rootdir (`root/tests`)."""
    for relative, content in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root / "tests"
