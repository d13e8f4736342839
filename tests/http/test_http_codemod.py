"""The http-clients codemod: the rewrite, dry runs, journaled apply, undo, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.fix import fix_app
from testing_lib.codemods import apply_plan, plan_http_clients, rewrite_http_clients, undo_run
from tests.http.conftest import demo_pyproject, write_files

OLD_STYLE = '''\
"""Tests written for httpx < 0.28."""
import httpx
from httpx import AsyncClient

from app import app, wsgi_app


async def test_health_through_the_module_attribute():
    async with httpx.AsyncClient(app=app, base_url="http://test") as client:  # keep me
        response = await client.get("/health")
    assert response.json() == {"ok": True}


async def test_health_through_an_imported_name():
    async with AsyncClient(
        app=app,  # the app under test
        base_url="http://test",
    ) as client:
        assert (await client.get("/health")).status_code == 200


def test_a_wsgi_app_through_the_sync_client():
    with httpx.Client(app=wsgi_app, base_url="http://test") as client:
        assert client.get("/").text == "wsgi ok"
'''

APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health():
    return {"ok": True}


def wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"wsgi ok"]
"""


def test_app_arguments_become_transports_keeping_comments_and_layout() -> None:
    result = rewrite_http_clients(OLD_STYLE)

    assert (
        'httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") '
        "as client:  # keep me" in result.code
    )
    assert "        transport=ASGITransport(app=app),  # the app under test\n" in result.code
    assert "httpx.Client(transport=httpx.WSGITransport(app=wsgi_app)" in result.code
    assert "from httpx import ASGITransport, AsyncClient" in result.code
    assert [(r.line, r.transport) for r in result.rewrites] == [
        (9, "ASGITransport"),
        (15, "ASGITransport"),
        (23, "WSGITransport"),
    ]


def test_aliases_are_resolved_and_other_calls_left_alone() -> None:
    source = (
        "import httpx as hx\n"
        "from httpx import AsyncClient as Client\n"
        "hx.AsyncClient(app=a)\n"
        "Client(app=a)\n"
        "other.AsyncClient(app=a)\n"
        "dict(app=a)\n"
    )

    result = rewrite_http_clients(source)

    assert result.code.splitlines()[2:] == [
        "hx.AsyncClient(transport=hx.ASGITransport(app=a))",
        "Client(transport=ASGITransport(app=a))",
        "other.AsyncClient(app=a)",
        "dict(app=a)",
    ]


def test_a_call_with_both_app_and_transport_is_reported_not_touched() -> None:
    source = "import httpx\nhttpx.AsyncClient(app=a, transport=t)\n"

    result = rewrite_http_clients(source)

    assert result.code == source
    assert result.skipped[0].line == 2
    assert "both app= and transport=" in result.skipped[0].reason


def test_the_dry_run_shows_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    root = write_files(tmp_path / "suite", {"tests/test_old.py": OLD_STYLE})
    before = (root / "tests/test_old.py").read_bytes()

    result = CliRunner().invoke(fix_app, ["http-clients", str(root)])

    assert result.exit_code == 0, result.output
    assert "--- a/tests/test_old.py" in result.output
    added = "+    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)"
    assert added in result.output
    assert "would rewrite 3 client(s) in 1 file(s)" in result.output
    assert (root / "tests/test_old.py").read_bytes() == before
    assert not (root / ".remediation").exists()


def test_unparseable_files_are_reported_and_left_alone(tmp_path: Path) -> None:
    broken = "import httpx\ndef broken(:\n    httpx.AsyncClient(app=app)\n"
    root = write_files(tmp_path / "suite", {"tests/test_broken.py": broken})

    result = CliRunner().invoke(fix_app, ["http-clients", str(root), "--apply"])

    assert result.exit_code == 1
    output = result.output.replace("\n", "")
    assert "left alone, cannot parse: tests/test_broken.py:2: SyntaxError: invalid syntax" in output
    assert (root / "tests/test_broken.py").read_text() == broken


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param("import httpx\ndef broken(:\n    httpx.AsyncClient(app=app)\n", id="bad-args"),
        pytest.param(
            "import httpx\nclient = httpx.AsyncClient(app=app,\n\n\ndef f():\n    pass\n",
            id="never-closed",
        ),
        pytest.param("import httpx\nx = 1\n  y = 2\n", id="indent"),
        pytest.param("import httpx\nprint 'hi'\nx = 1\n", id="print-statement"),
    ],
)
def test_a_file_that_does_not_parse_is_named_at_the_line_python_names(
    tmp_path: Path, broken: str
) -> None:
    root = write_files(tmp_path / "suite", {"tests/test_broken.py": broken})
    with pytest.raises(SyntaxError) as python:
        compile(broken, "tests/test_broken.py", "exec")
    expected = (
        f"tests/test_broken.py:{python.value.lineno}: "
        f"{type(python.value).__name__}: {python.value.msg}"
    )

    plan = plan_http_clients(root)
    result = CliRunner().invoke(fix_app, ["http-clients", str(root)])

    assert [item.describe() for item in plan.unparseable] == [expected]
    assert result.exit_code == 1
    assert f"left alone, cannot parse: {expected}" in result.output.replace("\n", "")


def test_a_codemod_apply_waits_for_an_unfinished_organizer_apply(tmp_path: Path) -> None:
    from testing_lib.organizer.journal import new_journal

    root = write_files(tmp_path / "suite", {"tests/test_old.py": OLD_STYLE})
    before = (root / "tests/test_old.py").read_bytes()
    new_journal(root)  # what an organizer apply killed right after it started leaves

    result = CliRunner().invoke(fix_app, ["http-clients", str(root / "tests"), "--apply"])

    assert result.exit_code == 2
    expected = (
        f"an earlier apply did not finish; `remediate organize {root} --undo` restores the tree"
    )
    assert expected in result.output.replace("\n", "")
    assert (root / "tests/test_old.py").read_bytes() == before
    assert not (root / ".remediation" / "codemods").exists()


def test_undo_restores_a_file_an_interrupted_run_wrote_but_never_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from testing_lib.codemods import codemod_journal as journal_module

    root = write_files(tmp_path / "suite", {"tests/test_old.py": OLD_STYLE})
    original = (root / "tests/test_old.py").read_bytes()
    real_save = journal_module._save
    saves = []

    def killed_after_the_first_write(path: Path, journal: dict[str, object]) -> None:
        saves.append(path)
        if len(saves) == 2:  # the file is written; the mark saying so never lands
            raise KeyboardInterrupt
        real_save(path, journal)

    monkeypatch.setattr(journal_module, "_save", killed_after_the_first_write)
    with pytest.raises(KeyboardInterrupt):
        apply_plan(plan_http_clients(root), codemod="http-clients")
    monkeypatch.undo()
    assert b"ASGITransport" in (root / "tests/test_old.py").read_bytes()

    undone = undo_run(root)

    assert undone.restored == ["tests/test_old.py"]
    assert (root / "tests/test_old.py").read_bytes() == original


def test_apply_journals_backs_up_and_undo_restores_exactly(tmp_path: Path) -> None:
    root = write_files(tmp_path / "suite", {"tests/test_old.py": OLD_STYLE})
    original = (root / "tests/test_old.py").read_bytes()
    (root / "tests/test_old.py").chmod(0o640)

    report = apply_plan(plan_http_clients(root), codemod="http-clients")

    rewritten = root / "tests/test_old.py"
    assert report.applied == ["tests/test_old.py"]
    assert b"ASGITransport" in rewritten.read_bytes()
    assert rewritten.stat().st_mode & 0o777 == 0o640
    backups = list((report.journal.parent / "backups").iterdir())
    assert [b.read_bytes() for b in backups] == [original]
    assert not list(rewritten.parent.glob(".*.tmp"))

    undone = undo_run(root)

    assert undone.restored == ["tests/test_old.py"]
    assert rewritten.read_bytes() == original


def test_undo_leaves_a_file_edited_after_the_codemod_alone(tmp_path: Path) -> None:
    root = write_files(tmp_path / "suite", {"tests/test_old.py": OLD_STYLE})
    report = apply_plan(plan_http_clients(root), codemod="http-clients")
    (root / "tests/test_old.py").write_text("# edited by hand\n")

    result = CliRunner().invoke(fix_app, ["undo", str(root), report.run_id])

    assert result.exit_code == 1
    assert "left alone: tests/test_old.py was edited after the codemod" in result.output
    assert (root / "tests/test_old.py").read_text() == "# edited by hand\n"


def test_undo_without_any_run_names_where_it_looked(tmp_path: Path) -> None:
    result = CliRunner().invoke(fix_app, ["undo", str(tmp_path)])

    assert result.exit_code == 2
    assert "no codemod has been applied" in result.output


def test_the_codemod_turns_an_old_suite_into_one_that_passes_on_httpx_028(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", pyproject=demo_pyproject(None))
    pytester.makepyfile(app=APP, test_old=OLD_STYLE)

    before = pytester.runpytest("-p", "no:cacheprovider")
    before.assert_outcomes(failed=3)
    before.stdout.fnmatch_lines(["*TypeError*unexpected keyword argument 'app'*"])

    fixed = CliRunner().invoke(fix_app, ["http-clients", str(pytester.path), "--apply"])
    assert fixed.exit_code == 0, fixed.output

    after = pytester.runpytest("-p", "no:cacheprovider")
    after.assert_outcomes(passed=3)
