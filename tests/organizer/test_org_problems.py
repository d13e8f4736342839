"""Problems carry a file and a line; the ones that break collection come first."""

from __future__ import annotations

import sys

import pytest

from testing_lib.organizer.audit import run_audit
from testing_lib.organizer.models import Problem
from tests.organizer.conftest import MakeProject


def _found(problems: list[Problem]) -> list[tuple[str, str, int, bool]]:
    return [(p.kind.value, p.path, p.line, p.breaks_collection) for p in problems]


def test_each_kind_of_problem_is_found_at_its_line(make_project: MakeProject) -> None:
    root = make_project(
        {
            "tests/a/test_same.py": "def test_a():\n    pass\n",
            "tests/b/test_same.py": "def test_b():\n    pass\n",
            "tests/test_missing.py": "import os\nfrom tests.helperz import build\n\n"
            "def test_x():\n    pass\n",
            "tests/test_relative.py": "from .helpers import build\n\ndef test_x():\n    pass\n",
            "tests/helpers.py": "def build():\n    return 1\n",
            "tests/test_generator.py": "def test_gen():\n    yield 1\n",
            "tests/test_lookalikes.py": """
                class TestWithInit:
                    def __init__(self):
                        self.x = 1

                    def test_never(self):
                        pass

                class UserTests:
                    def test_hidden(self):
                        pass

                def Test_capitalized():
                    pass

                def test_outer():
                    def test_inner():
                        pass
                """,
            "tests/checks_api.py": "def test_never_collected():\n    pass\n",
            "tests/test_script.py": "import sys\n\nprint_it = sys.stdout.write\n"
            "print_it('hello')\n\nif __name__ == '__main__':\n    print_it('main')\n",
        }
    )
    report = run_audit(root, python=sys.executable).report

    assert _found(report.problems) == [
        ("basename_clash", "tests/b/test_same.py", 1, True),
        ("generator_test", "tests/test_generator.py", 1, True),
        ("missing_module", "tests/test_missing.py", 2, True),
        ("relative_import_without_package", "tests/test_relative.py", 1, True),
        ("uncollected_file", "tests/checks_api.py", 1, False),
        ("test_class_with_init", "tests/test_lookalikes.py", 1, False),
        ("uncollected_test", "tests/test_lookalikes.py", 8, False),
        ("uncollected_test", "tests/test_lookalikes.py", 12, False),
        ("uncollected_test", "tests/test_lookalikes.py", 16, False),
        ("script_as_test", "tests/test_script.py", 4, False),
    ]
    by_kind = {p.kind.value: p.message for p in report.problems}
    assert "import file mismatch" in by_kind["basename_clash"]
    assert "module 'tests.helperz' does not exist" in by_kind["missing_module"]
    assert "attempted relative import" in by_kind["relative_import_without_package"]
    assert "__init__" in by_kind["test_class_with_init"]


def test_an_import_the_interpreter_cannot_satisfy_is_named(make_project: MakeProject) -> None:
    root = make_project(
        {"tests/test_x.py": "import surely_not_installed_pkg\n\ndef test_x():\n    pass\n"}
    )
    (problem,) = run_audit(root, python=sys.executable).report.problems

    assert (problem.kind.value, problem.line, problem.breaks_collection) == (
        "missing_module",
        1,
        True,
    )
    assert f"not installed in {sys.executable}" in problem.message


def test_a_folder_named_like_an_installed_package_does_not_hide_it(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "pytest/notes.txt": "a folder that happens to be called pytest\n",
            "pytest/data.py": "VALUE = 1\n",
            "tests/test_x.py": "from pytest import approx\n\ndef test_x():\n    pass\n",
        }
    )
    assert run_audit(root, python=sys.executable).report.problems == []


def test_an_import_inside_a_test_fails_only_that_test(make_project: MakeProject) -> None:
    root = make_project({"tests/test_x.py": "def test_x():\n    from tests.absent import thing\n"})
    (problem,) = run_audit(root).report.problems

    assert (problem.kind.value, problem.line, problem.breaks_collection) == (
        "missing_module",
        2,
        False,
    )


SRC_LAYOUT = {
    "src/sigpkg/__init__.py": "",
    "src/sigpkg/signer.py": "def sign(value):\n    return value\n",
    "tests/test_signer.py": "from sigpkg.signer import sign\n\n"
    "def test_sign():\n    assert sign(1) == 1\n",
}


def test_a_src_layout_package_is_fine_when_the_interpreter_has_it_installed(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(SRC_LAYOUT)
    monkeypatch.setenv("PYTHONPATH", str(root / "src"))  # what `pip install -e .` gives
    assert run_audit(root, python=sys.executable).report.problems == []


def test_a_src_layout_package_breaks_collection_when_not_installed(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(SRC_LAYOUT)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    problems = run_audit(root, python=sys.executable).report.problems
    assert _found(problems) == [("missing_module", "tests/test_signer.py", 1, True)]
    assert "pip install -e ." in problems[0].message
