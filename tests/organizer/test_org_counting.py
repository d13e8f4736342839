"""test_count is what `pytest --collect-only` lists for each module, parametrized cases included.

Decision (documented on TestFileInfo): each collected item counts, so a test parametrized
over three values counts 3, as pytest reports "3 tests collected".
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from testing_lib.organizer.audit import run_audit
from testing_lib.runner.collect import collect_only
from tests.organizer.conftest import MakeProject

CASES = {
    "tests/test_plain.py": """
        def test_one():
            pass

        async def test_async():
            pass

        def testnounderscore():
            pass

        def helper():
            pass

        test_lambda = lambda: None
        """,
    "tests/test_classes.py": """
        class TestBase:
            def test_base(self):
                pass

            class TestNested:
                def test_inner(self):
                    pass

        class TestChild(TestBase):
            def test_child(self):
                pass

            @staticmethod
            def test_static():
                pass

            @classmethod
            def test_cls(cls):
                pass

        class TestWithInit:
            def __init__(self):
                pass

            def test_never(self):
                pass

        class TestDisabled:
            __test__ = False

            def test_never(self):
                pass

        class Helper:
            def test_not_collected(self):
                pass
        """,
    "tests/test_dataclass_and_errors.py": """
        from dataclasses import dataclass

        @dataclass
        class TestRecord:
            value: int = 0

            def test_never(self):
                pass

        class TestError(Exception):
            def test_never(self):
                pass

        def test_real():
            pass
        """,
    "tests/test_params.py": """
        import pytest

        CODES = ["DQY", "LIT", "NIQ"]

        @pytest.mark.parametrize("a", [1, 2, 3])
        def test_list(a):
            pass

        @pytest.mark.parametrize("a,b", [(1, 2), (3, 4)])
        @pytest.mark.parametrize("c", range(3))
        def test_stacked(a, b, c):
            pass

        @pytest.mark.parametrize("a", [])
        def test_empty(a):
            pass

        @pytest.mark.parametrize("code", CODES)
        def test_constant(code):
            pass

        @pytest.mark.parametrize(
            "x", [pytest.param(1, id="one"), pytest.param(2, marks=pytest.mark.skip)]
        )
        def test_params(x):
            pass

        @pytest.mark.parametrize("n", [i for i in range(4)])
        def test_comprehension(n):
            pass

        @pytest.mark.parametrize("klass", ["a", "b"])
        class TestParametrizedClass:
            def test_one(self, klass):
                pass

            def test_two(self, klass):
                pass
        """,
    "tests/test_module_mark.py": """
        import pytest

        pytestmark = pytest.mark.parametrize("flag", [True, False])

        def test_flagged(flag):
            pass
        """,
    "tests/test_fixtures.py": """
        import pytest

        @pytest.fixture
        def test_data():
            return 1

        @pytest.fixture(params=["sqlite", "postgres"])
        def backend(request):
            return request.param

        @pytest.fixture
        def engine(backend):
            return backend

        def test_uses_data(test_data):
            pass

        def test_uses_engine(engine):
            pass

        def test_uses_shared(shared):
            pass
        """,
    "tests/conftest.py": """
        import pytest

        @pytest.fixture(params=[1, 2, 3])
        def shared(request):
            return request.param
        """,
    "tests/test_unittest_style.py": """
        import unittest

        class Checks(unittest.TestCase):
            def test_a(self):
                pass

            def testB(self):
                pass

            def helper(self):
                pass
        """,
    "tests/helpers_with_tests.py": """
        def test_shared():
            pass

        class TestShared:
            def test_x(self):
                pass

            def test_y(self):
                pass
        """,
    "tests/test_imports_tests.py": """
        from helpers_with_tests import TestShared, test_shared

        def test_own():
            pass
        """,
    "tests/test_shadowed.py": """
        def test_twice():
            pass

        def test_twice():
            pass
        """,
    "tests/test_switched_off.py": """
        __test__ = False

        def test_never():
            pass
        """,
}


def test_test_count_matches_collect_only_for_every_file(make_project: MakeProject) -> None:
    root = make_project(CASES)
    collection = collect_only(cwd=root, python=sys.executable, timeout_s=120)
    assert collection.errors == []
    per_file = Counter(nodeid.split("::")[0] for nodeid in collection.ids)

    audit = run_audit(root)
    counted = {f.path: f.test_count for f in audit.report.files if f.kind == "test"}

    assert counted == {path: per_file.get(path, 0) for path in counted}
    assert set(per_file) <= set(counted)
    inexact = [f.path for f in audit.report.files if not f.test_count_exact]
    assert inexact == []


def test_custom_python_functions_and_classes_are_honoured(make_project: MakeProject) -> None:
    root = make_project(
        {
            "checks/check_things.py": """
                def check_one():
                    pass

                def test_not_with_these_settings():
                    pass

                class DescribeThing:
                    def check_two(self):
                        pass
                """,
        },
        ini="python_files = check_*.py\npython_functions = check_\npython_classes = Describe\n",
    )
    collection = collect_only(cwd=root, python=sys.executable, timeout_s=120)
    audit = run_audit(root)

    assert audit.report.file("checks/check_things.py").test_count == len(collection.ids) == 2


def test_a_count_that_depends_on_run_time_values_says_so(make_project: MakeProject) -> None:
    root = make_project(
        {
            "tests/test_dynamic.py": """
                import pytest

                def cases():
                    return [1, 2, 3]

                @pytest.mark.parametrize("n", cases())
                def test_dynamic(n):
                    pass
                """,
        }
    )
    info = run_audit(root).report.file("tests/test_dynamic.py")

    assert info.test_count_exact is False
    assert "argvalues computed at run time" in info.count_notes


def test_an_unparseable_file_is_reported_not_skipped(make_project: MakeProject) -> None:
    root = make_project({"tests/test_broken.py": "def test_x(:\n    pass\n"})
    report = run_audit(root).report

    info = report.file("tests/test_broken.py")
    assert info.syntax_error is not None
    assert [(p.kind, p.path, p.line, p.breaks_collection) for p in report.problems] == [
        ("syntax_error", "tests/test_broken.py", 1, True)
    ]


def test_the_counts_cover_the_legacy_suite_modules_that_import(legacy_copy: Path) -> None:
    collection = collect_only(cwd=legacy_copy, python=sys.executable, timeout_s=120)
    failing = {e.nodeid for e in collection.errors}
    per_file = Counter(nodeid.split("::")[0] for nodeid in collection.ids)
    report = run_audit(legacy_copy).report

    for info in report.files:
        if info.kind == "test" and info.path not in failing:
            assert info.test_count == per_file.get(info.path, 0), info.path
