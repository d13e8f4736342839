"""Import rewriting with libcst: only module names change; comments and layout survive."""

from __future__ import annotations

from testing_lib.organizer.rewrite import FileChanges, ModuleRef, rewrite_source

SOURCE = b'''"""A test module."""
import os
import helpers  # the sibling helper
import tests.helpers
from tests.helpers import (
    make,  # with a comment
    other,
)
from tests import helpers as h, unrelated
from .sib import thing


def test_a():
    tests.helpers.make()
    patch("tests.helpers.now")
    assert os.sep
'''


def _changes() -> FileChanges:
    moved = ModuleRef(0, "tests.fixtures.helpers")
    return FileChanges(
        imports={
            (3, 0, "helpers", None): moved,
            (4, 0, "tests.helpers", None): moved,
            (5, 0, "tests.helpers", None): moved,
            (9, 0, "tests", "helpers"): moved,
            (10, 1, "sib", None): ModuleRef(0, "tests.unit.sib"),
        },
        strings={"tests.helpers": "tests.fixtures.helpers"},
    )


def test_only_the_module_names_change() -> None:
    rewritten, _ = rewrite_source(SOURCE, _changes())

    assert (
        rewritten.decode()
        == '''"""A test module."""
import os
import tests.fixtures.helpers as helpers  # the sibling helper
import tests.fixtures.helpers
from tests.fixtures.helpers import (
    make,  # with a comment
    other,
)
from tests.fixtures import helpers as h
from tests import unrelated
from tests.unit.sib import thing


def test_a():
    tests.fixtures.helpers.make()
    patch("tests.fixtures.helpers.now")
    assert os.sep
'''
    )


def test_each_change_is_reported_at_its_line() -> None:
    _, records = rewrite_source(SOURCE, _changes())

    assert [(r.line, r.before, r.after) for r in records] == [
        (3, "import helpers", "import tests.fixtures.helpers as helpers"),
        (4, "import tests.helpers", "import tests.fixtures.helpers"),
        (
            5,
            "from tests.helpers import (\n    make,  # with a comment\n    other,\n)",
            "from tests.fixtures.helpers import (\n    make,  # with a comment\n    other,\n)",
        ),
        (
            9,
            "from tests import helpers as h, unrelated",
            "from tests.fixtures import helpers as h\nfrom tests import unrelated",
        ),
        (10, "from .sib import thing", "from tests.unit.sib import thing"),
        (14, "tests.helpers", "tests.fixtures.helpers"),
        (15, '"tests.helpers.now"', '"tests.fixtures.helpers.now"'),
    ]


def test_a_renamed_module_keeps_the_name_the_code_uses() -> None:
    source = b"from tests import test_utils\n\nvalue = test_utils.build()\n"
    changes = FileChanges(
        imports={(1, 0, "tests", "test_utils"): ModuleRef(0, "tests.fixtures.utils")}
    )

    rewritten, _ = rewrite_source(source, changes)

    assert (
        rewritten
        == b"from tests.fixtures import utils as test_utils\n\nvalue = test_utils.build()\n"
    )


def test_nothing_to_change_returns_the_same_bytes() -> None:
    source = b"# -*- coding: latin-1 -*-\nname = '\xe9'\n"
    assert rewrite_source(source, FileChanges()) == (source, [])
    assert rewrite_source(source, FileChanges(strings={"a.b": "c.d"}))[0] == source
