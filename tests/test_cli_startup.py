"""The CLI imports what the command being run needs, and no more.

Each case runs `cli.main.main` in a new interpreter and lists which of the heavy libraries
are in `sys.modules` after each command: libcst (the codemods), Prefect and SQLAlchemy
take seconds to import, so the help, and commands that never use them, must not load them.
What got imported is asserted, never seconds (the machines are noisy).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from cli.main import app

HEAVY = ("libcst", "prefect", "sqlalchemy")

PROBE = """
import json, sys
from pathlib import Path
from cli.main import main
heavy, commands, results = json.loads(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3])
records = []
for argv in commands:
    code = main(argv)
    records.append({"argv": argv, "code": code, "loaded": [m for m in heavy if m in sys.modules]})
results.write_text(json.dumps(records))
"""


def probe(tmp_path: Path, commands: list[list[str]]) -> list[dict[str, Any]]:
    """Run the commands one after another in one new interpreter: each one's exit code and
    the heavy libraries loaded once it (and those before it) ran."""
    results = tmp_path / "loaded.json"
    subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY), json.dumps(commands), str(results)],
        cwd=tmp_path,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    records: list[dict[str, Any]] = json.loads(results.read_text())
    return records


def command_paths() -> list[list[str]]:
    """Every command and group of the app, as the words that name it (the app is [])."""

    def walk(command: Any, words: list[str]) -> Iterator[list[str]]:
        yield words
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*words, name])

    return list(walk(typer.main.get_command(app), []))


def test_every_help_loads_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    paths = command_paths()
    assert ["isolation"] in paths  # the walk found the commands, the nested ones too
    assert ["fix", "undo"] in paths
    helps = [[*words, "--help"] for words in paths]
    assert probe(tmp_path, helps) == [{"argv": h, "code": 0, "loaded": []} for h in helps]


def test_isolation_loads_none_of_them_the_codemods_load_libcst(tmp_path: Path) -> None:
    project = tmp_path / "clean"
    project.mkdir()
    (project / "test_clean.py").write_text("def test_x():\n    pass\n\ndef test_y():\n    pass\n")
    isolation = ["isolation", str(project), "--orders", "2"]
    # the codemod command comes last: it needs libcst, which shows the probe would see it
    codemod = ["fix", "http-clients", str(project)]
    assert probe(tmp_path, [isolation, codemod]) == [
        {"argv": isolation, "code": 0, "loaded": []},
        {"argv": codemod, "code": 0, "loaded": ["libcst"]},
    ]
