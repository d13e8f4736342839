"""The injected plugins run in targets without this project: stdlib + pytest, Python 3.9."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from testing_lib.ci.ci_validator import LAUNCHER
from testing_lib.runner import run_pytest
from testing_lib.runner.runner import INJECT_DIR

INJECTED = [
    INJECT_DIR / "remediation_order.py",
    INJECT_DIR / "remediation_order_leaks.py",
    INJECT_DIR / "remediation_order_diff.py",
    INJECT_DIR / "remediation_state_probe.py",
    INJECT_DIR / "remediation_order_file.py",
    INJECT_DIR / "remediation_order_worker.py",
    INJECT_DIR / "remediation_order_child.py",
    INJECT_DIR / "remediation_order_results.py",
    INJECT_DIR / "remediation_timeout.py",
    INJECT_DIR / "remediation_profile.py",
    LAUNCHER,
]


def _top_level_imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            assert node.module is not None
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", INJECTED, ids=lambda p: p.name)
def test_an_injected_module_imports_only_the_standard_library_pytest_and_its_siblings(
    path: Path,
) -> None:
    tree = ast.parse(path.read_text())

    foreign = {
        name
        for name in _top_level_imports(tree)
        if name not in sys.stdlib_module_names
        and name not in {"pytest", "_pytest"}
        and name not in {sibling.stem for sibling in INJECTED}  # its own parts, by name
    }

    assert foreign == set()


@pytest.mark.parametrize("path", INJECTED, ids=lambda p: p.name)
def test_an_injected_module_parses_as_python_3_9(path: Path) -> None:
    ast.parse(path.read_text(), feature_version=(3, 9))


def test_an_order_file_runs_exactly_its_tests_in_its_order(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_order="""
        def test_a():
            pass

        def test_b():
            pass

        def test_c():
            pass
        """
    )
    order = pytester.path / "order.txt"
    order.write_text("test_order.py::test_c\ntest_order.py::test_a\n")

    suite = run_pytest(
        cwd=pytester.path,
        selection=[],
        extra_args=["-p", "remediation_order"],
        env={"REMEDIATION_ORDER_FILE": str(order)},
        timeout_s=120,
    )

    assert [r.test_name for r in suite.results] == [
        "test_order.py::test_c",
        "test_order.py::test_a",
    ]


def test_an_order_file_naming_an_uncollected_test_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_order="def test_a():\n    pass\n")
    order = pytester.path / "order.txt"
    order.write_text("test_order.py::test_gone\n")

    suite = run_pytest(
        cwd=pytester.path,
        selection=[],
        extra_args=["-p", "remediation_order"],
        env={"REMEDIATION_ORDER_FILE": str(order)},
        timeout_s=120,
    )

    assert suite.exit_code == 4
    assert "test_order.py::test_gone" in suite.stderr_tail
    assert "regenerate the order file" in suite.stderr_tail
