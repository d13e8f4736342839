"""The injected collector plugin: standard library only, Python 3.9 syntax, xdist-aware."""

from __future__ import annotations

import ast
import sys

import pytest

from testing_lib.results import TestStatus
from testing_lib.runner import run_pytest
from testing_lib.runner.runner import INJECT_DIR

COLLECTOR = INJECT_DIR / "remediation_collector.py"


def _imported_top_level_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "the collector is a top-level module: no relative imports"
            assert node.module is not None
            names.add(node.module.split(".")[0])
    return names


def test_the_collector_imports_only_the_standard_library_and_pytest() -> None:
    tree = ast.parse(COLLECTOR.read_text())
    foreign = {
        name
        for name in _imported_top_level_modules(tree)
        if name not in sys.stdlib_module_names and name not in {"pytest", "_pytest"}
    }

    assert foreign == set()


def test_the_collector_parses_as_python_3_9() -> None:
    ast.parse(COLLECTOR.read_text(), feature_version=(3, 9))


def test_the_collector_writes_once_per_test_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_parallel="""
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_passes(n):
            pass

        def test_fails():
            assert False, "nope"

        def test_skips():
            pytest.skip("later")
        """
    )
    suite = run_pytest(
        cwd=pytester.path, selection=["test_parallel.py"], extra_args=["-n", "2"], timeout_s=120
    )

    assert sorted(r.test_name for r in suite.results) == sorted(
        [f"test_parallel.py::test_passes[{n}]" for n in range(4)]
        + ["test_parallel.py::test_fails", "test_parallel.py::test_skips"]
    )
    assert (suite.passed_tests, suite.failed_tests, suite.skipped_tests) == (4, 1, 1)
    assert suite.collected == 6
    assert suite.exit_code == 1
    assert [r.error_message for r in suite.results if r.status is TestStatus.FAILED] == [
        "AssertionError: nope"
    ]


def test_a_module_skipped_while_collected_is_reported_apart(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_needs_it="""
        import pytest

        pytest.importorskip("remediation_never_installed_pkg")

        def test_uses_it():
            pass
        """,
        test_plain="def test_ok():\n    pass\n",
    )
    suite = run_pytest(cwd=pytester.path, selection=[], timeout_s=120)

    assert suite.skipped_modules == ["test_needs_it.py"]
    assert [r.test_name for r in suite.results] == ["test_plain.py::test_ok"]
    assert suite.collection_errors == []
