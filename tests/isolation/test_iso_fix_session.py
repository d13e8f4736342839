"""The fix pieces for rows that outlive a test and for state-setters that take fixtures:
which fixture isolates the app's session, how a test requests it, and a setup moved with
the fixtures and marks it needs."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from testing_lib.isolation.fix_cleaner import NoCleanerFix, cleaner_fix
from testing_lib.isolation.fix_session import NotRequestable, isolating_fixture, request_fixture


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("", None),
        ('[tool.remediation]\nmetadata = "app.models:Base"\n', None),
        ('[tool.remediation]\napp = "app.main:app"\n', "dependency_container"),
        (
            '[tool.remediation]\napp = "app.main:app"\nsession_dependency = "app.db:get_session"\n',
            "isolated_db",
        ),
    ],
)
def test_the_isolating_fixture_follows_the_configuration(
    tmp_path: Path, table: str, expected: str | None
) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n{table}', encoding="utf-8")

    assert isolating_fixture(tmp_path) == expected


def test_an_unreadable_configuration_means_no_isolating_fixture(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.remediation\n", encoding="utf-8")

    assert isolating_fixture(tmp_path) is None


SOURCE = '''\
"""Tests that commit."""

from app import client


def test_commits(client):
    client.post("/things")


class TestThings:
    def test_commits_too(self, client):
        client.post("/things")


def test_reads(client):
    assert client.get("/things").json() == []
'''


def test_each_polluter_requests_the_fixture_keeping_the_rest_as_written() -> None:
    patched = request_fixture(
        SOURCE,
        ["tests/test_x.py::test_commits", "tests/test_x.py::TestThings::test_commits_too[1]"],
        "isolated_db",
    )

    assert patched.count('@pytest.mark.usefixtures("isolated_db")') == 2
    assert "import pytest\n" in patched
    tree = ast.parse(patched)
    reads = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "test_reads")
    assert reads.decorator_list == []
    kept = re.sub(r"(?m)^ *@pytest\.mark\.usefixtures\(\"isolated_db\"\)\n", "", patched)
    assert kept.replace("import pytest\n", "", 1) == SOURCE


def test_a_test_that_requests_the_fixture_already_is_not_changed() -> None:
    with pytest.raises(NotRequestable, match="requests isolated_db already"):
        request_fixture("def test_a(isolated_db):\n    pass\n", ["t.py::test_a"], "isolated_db")
    with pytest.raises(NotRequestable, match="not a function"):
        request_fixture("def test_a():\n    pass\n", ["t.py::test_missing"], "isolated_db")


SETTER = textwrap.dedent(
    """\
    import pytest
    import pytest_asyncio

    from app import PAYLOAD


    @pytest.mark.usefixtures("isolated_db")
    async def test_registers(client):
        response = await client.post("/register", json=PAYLOAD)
        assert response.status_code == 201


    async def test_logs_in(client):
        assert (await client.post("/login", json=PAYLOAD)).status_code == 200
    """
)


def test_an_async_setup_keeps_its_fixtures_with_the_marked_ones_first() -> None:
    patched = cleaner_fix(
        SETTER, "test_registers", SETTER, "test_logs_in", "t.py::test_registers", setup=True
    )

    assert (
        "@pytest_asyncio.fixture\n"
        "async def _setup_like_test_registers(isolated_db, client):\n" in patched
    )
    assert '    response = await client.post("/register", json=PAYLOAD)\n' in patched
    assert '@pytest.mark.usefixtures("_setup_like_test_registers")\nasync def test_logs_in' in (
        patched
    )
    ast.parse(patched)


def test_a_setup_whose_arguments_have_defaults_cannot_move() -> None:
    source = "def test_sets(value=1):\n    print(value)\n\n\ndef test_needs():\n    pass\n"

    with pytest.raises(NoCleanerFix, match="defaults"):
        cleaner_fix(source, "test_sets", source, "test_needs", "t.py::test_sets", setup=True)
