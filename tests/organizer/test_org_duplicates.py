"""Duplicates: exact copies, near copies with a similarity figure, whole-file copies."""

from __future__ import annotations

import ast

from testing_lib.organizer.audit import run_audit
from testing_lib.organizer.collection_results import CollectedTest
from testing_lib.organizer.duplicates import find_duplicates
from testing_lib.organizer.function_fingerprint import leaf_similarity
from testing_lib.organizer.scan import fingerprint
from tests.organizer.conftest import MakeProject


def _fp(source: str) -> object:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    return fingerprint(node)


def test_names_docstrings_and_formatting_do_not_hide_a_copy() -> None:
    a = _fp("def test_a():\n    total = add(1, 2)\n    assert total == 3\n")
    b = _fp(
        'def test_b():\n    """Adds."""\n    total = add(1,\n              2)  # same\n'
        "    assert total == 3\n"
    )

    assert a is not None
    assert b is not None
    assert a.exact == b.exact  # type: ignore[attr-defined]


def test_renamed_locals_and_new_literals_make_a_near_copy_with_a_similarity() -> None:
    a = _fp("def test_a():\n    total = add(1, 2)\n    assert total == 3\n")
    b = _fp("def test_b():\n    result = add(1, 5)\n    assert result == 6\n")

    assert a is not None
    assert b is not None
    assert a.exact != b.exact  # type: ignore[attr-defined]
    assert a.near == b.near  # type: ignore[attr-defined]
    # leaves: v0, add, 1, 2|5, v0, 3|6 -> 4 of 6 equal
    assert leaf_similarity(a, b) == 4 / 6  # type: ignore[arg-type]


def test_trivial_bodies_are_not_fingerprinted() -> None:
    assert _fp("def test_a():\n    pass\n") is None


def test_a_whole_file_copy_is_marked_and_paired_with_its_original(
    make_project: MakeProject,
) -> None:
    body = """
        from app import add

        def test_adds():
            total = add(1, 2)
            assert total == 3

        def test_adds_negative():
            total = add(-1, -2)
            assert total == -3
        """
    root = make_project(
        {
            "app.py": "def add(a, b):\n    return a + b\n",
            "tests/test_math.py": body,
            "tests/test_math_copy.py": body.replace("test_adds", "test_sums"),
            "tests/test_other.py": """
                def test_unrelated():
                    values = sorted([3, 1, 2])
                    assert values[0] == 1
                """,
        }
    )
    report = run_audit(root).report

    copy = report.file("tests/test_math_copy.py")
    assert (copy.is_duplicate, copy.duplicate_of) == (True, "tests/test_math.py")
    assert report.file("tests/test_math.py").is_duplicate is False
    pair = next(d for d in report.duplicates if d.b == "tests/test_math_copy.py")
    assert (pair.a, pair.kind, pair.similarity, pair.share_a, pair.share_b) == (
        "tests/test_math.py",
        "exact",
        1.0,
        1.0,
        1.0,
    )
    assert pair.tests == [
        ("test_adds", "test_sums"),
        ("test_adds_negative", "test_sums_negative"),
    ]
    assert all("tests/test_other.py" not in (d.a, d.b) for d in report.duplicates)


def test_near_duplicates_inside_one_file_are_reported(make_project: MakeProject) -> None:
    root = make_project(
        {
            "tests/test_codes.py": """
                def test_upper():
                    code = normalize("dqy")
                    assert code == "DQY"

                def test_upper_other():
                    code = normalize("lit")
                    assert code == "LIT"
                """,
        }
    )
    (pair,) = run_audit(root).report.duplicates

    assert (pair.a, pair.b, pair.kind) == ("tests/test_codes.py", "tests/test_codes.py", "near")
    assert pair.tests == [("test_upper", "test_upper_other")]
    assert 0.6 <= pair.similarity < 1.0


def test_many_identical_tests_pair_linearly_not_all_pairs() -> None:
    node = ast.parse("def test_x():\n    value = compute(1, 2)\n    assert value == 3\n").body[0]
    assert isinstance(node, ast.FunctionDef)
    tests = {
        f"tests/test_{n}.py": [CollectedTest("test_x", 1, 1, True, (), fingerprint(node))]
        for n in range(200)
    }
    result = find_duplicates(tests)

    assert sum(len(p.tests) for p in result.pairs) == 199  # each with the first, not 19,900
    assert result.duplicate_of == {}  # boilerplate shared by 200 files is nobody's copy
