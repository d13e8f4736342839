"""Async tests no plugin ran: let the installed pytest-asyncio run them.

Where pytest-asyncio is installed and runs in strict mode only because nothing set a mode,
the cure sets `asyncio_mode = "auto"` in the target's own pytest configuration (a
configuration key: safe). Where the configuration asks for strict mode on purpose, each
module of the group gets `pytestmark = pytest.mark.asyncio` instead (a mark: safe), so
the suite keeps its mode. Where no async plugin is installed (or one is turned off), there
is no patch: the triage's advice says which dependency to add and where.
"""

from __future__ import annotations

import configparser
import re
import tomllib

import libcst as cst

from testing_lib.cures.context import CureContext, Proposal, module_path
from testing_lib.cures.cure_models import Candidate, Change, FailureGroup, NoCure
from testing_lib.triage.facts import PytestConfigFile

KIND = "async-mode"
MARK_KIND = "async-mark"


def _header(section: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*{re.escape(section)}[ \t]*(?:[#;].*)?$", re.MULTILINE)


def _with_key(text: str, config: PytestConfigFile) -> str | None:
    """`text` with `asyncio_mode` set to auto right under the configuration's section
    header, checked by parsing it; None when the header is not found as written."""
    found = _header(config.section).search(text)
    if found is None:
        return None
    line = config.setting("asyncio_mode", "auto")
    end = found.end()
    newline = "\r\n" if "\r\n" in text else "\n"
    after = text[:end] + newline + line + text[end:]
    if not _says_auto(after, config):
        return None
    return after


def _says_auto(text: str, config: PytestConfigFile) -> bool:
    if config.path.endswith(".toml"):
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return False
        table = document.get("tool", {}).get("pytest", {})
        if config.section == "[tool.pytest.ini_options]":
            table = table.get("ini_options", {})
        return bool(table.get("asyncio_mode") == "auto")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return False
    section = config.section.strip("[]")
    return parser.get(section, "asyncio_mode", fallback=None) == "auto"


def _auto_mode(context: CureContext) -> Proposal:
    config = context.facts.pytest_config
    if config is None:
        if context.facts.has_pyproject:
            text = context.text("pyproject.toml")
            if text is None:
                return None
            gap = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
            after = f'{text}{gap}[tool.pytest.ini_options]\nasyncio_mode = "auto"\n'
            change = context.edit("pyproject.toml", after)
            where = "a new [tool.pytest.ini_options] of pyproject.toml"
        else:
            change = context.create("pytest.ini", "[pytest]\nasyncio_mode = auto\n")
            where = "a new pytest.ini"
        return Candidate(KIND, f'set `asyncio_mode = "auto"` in {where}', True, (change,))
    if config.path.startswith("/"):
        return NoCure(
            f"the pytest configuration is outside the project ({config.path}): "
            f'set `asyncio_mode = "auto"` there'
        )
    current = context.text(config.path)
    patched = _with_key(current, config) if current is not None else None
    if patched is None:
        return None
    return Candidate(
        KIND,
        f"set `{config.setting('asyncio_mode', 'auto')}` in {config.where}",
        True,
        (context.edit(config.path, patched),),
    )


class _MarkModule(cst.CSTTransformer):
    """Adds `pytest.mark.asyncio` to the module's `pytestmark` (created after the imports)."""

    def __init__(self) -> None:
        self.found = False

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        targets = [t.target for t in updated.targets]
        if not any(isinstance(t, cst.Name) and t.value == "pytestmark" for t in targets):
            return updated
        self.found = True
        mark = cst.parse_expression("pytest.mark.asyncio")
        value = updated.value
        if isinstance(value, cst.List):
            return updated.with_changes(
                value=value.with_changes(elements=[*value.elements, cst.Element(mark)])
            )
        return updated.with_changes(value=cst.List([cst.Element(value), cst.Element(mark)]))


def _imports_pytest(module: cst.Module) -> bool:
    return any(
        isinstance(statement, cst.SimpleStatementLine)
        and any(
            isinstance(small, cst.Import)
            and any(
                alias.evaluated_name == "pytest" and alias.asname is None for alias in small.names
            )
            for small in statement.body
        )
        for statement in module.body
    )


def marked_source(source: str) -> str:
    """The module with `pytest.mark.asyncio` in its `pytestmark` (and `import pytest`)."""
    module = cst.parse_module(source)
    marker = _MarkModule()
    updated = module.visit(marker)
    body = list(updated.body)
    # after the docstring and the leading imports
    index = 0
    for index_, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and all(
            isinstance(small, cst.Import | cst.ImportFrom)
            or (isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString))
            for small in statement.body
        ):
            index = index_ + 1
            continue
        break
    added: list[cst.BaseStatement] = []
    if not _imports_pytest(updated):
        added.append(cst.parse_statement("import pytest\n"))
    if not marker.found:
        added.append(
            cst.parse_statement("pytestmark = pytest.mark.asyncio\n").with_changes(
                leading_lines=[cst.EmptyLine()]
            )
        )
    return updated.with_changes(body=[*body[:index], *added, *body[index:]]).code


def _marks(group: FailureGroup, context: CureContext) -> Proposal:
    changes: list[Change] = []
    for module in sorted({module_path(context, test) or "" for test in group.tests}):
        text = context.text(module) if module else None
        if text is None:
            return None
        try:
            changes.append(context.edit(module, marked_source(text)))
        except cst.ParserSyntaxError:
            return None
    config = context.facts.pytest_config
    where = config.where if config else "the pytest configuration"
    return Candidate(
        MARK_KIND,
        f"mark {len(changes)} module(s) `pytestmark = pytest.mark.asyncio` "
        f"(strict mode is set on purpose in {where})",
        True,
        tuple(changes),
    )


def propose(group: FailureGroup, context: CureContext) -> Proposal:
    """The async cure for an `async_without_plugin` group, or why there is none."""
    facts = context.facts
    plugins = facts.plugins
    if plugins is None or not group.tests:
        return None
    if not plugins.pytest_asyncio or facts.disabled_by("asyncio") is not None:
        return NoCure(group.remediation)
    if any("never awaited" in message for message in group.messages.values()):
        return None  # a missing await, not a missing plugin
    config = facts.pytest_config
    mode = (config.asyncio_mode or "").lower() if config else ""
    if mode == "auto":
        return None
    if mode == "strict":
        return _marks(group, context)
    return _auto_mode(context)
