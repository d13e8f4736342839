"""One file, one parse: everything the audit needs from a module's source.

`analyze_source` is pure (bytes in, `FileAnalysis` out) and picklable both ways, so the
audit can spread files over processes. Nothing here imports or runs the analysed code.
"""

from __future__ import annotations

import ast
import hashlib
import threading
from dataclasses import dataclass, field

from testing_lib.organizer.collection_marks import count_values
from testing_lib.organizer.collection_results import CollectedTest, RuleProblem
from testing_lib.organizer.collection_rules import (
    ModuleCollector,
    is_fixture,
    is_main_guard,
    matches,
)
from testing_lib.organizer.scan import ImportRef, dotted, scan

_matches = matches

__all__ = ["FileAnalysis", "FixtureDef", "ImportRef", "analyze_source"]


@dataclass
class FixtureDef:
    name: str
    line: int
    autouse: bool
    params: int | None  # None: not parametrized
    params_exact: bool
    requests: tuple[str, ...]


@dataclass
class FileAnalysis:
    path: str
    sha256: str
    syntax_error: tuple[int, str] | None = None
    docstring: str = ""
    imports: list[ImportRef] = field(default_factory=list)
    tests: list[CollectedTest] = field(default_factory=list)
    # name bound by a top-level from-import -> (index in `imports`, line, name in its module)
    imported_names: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    fixtures: list[FixtureDef] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)  # pytest_* functions defined
    has_main_block: bool = False
    top_level_code: list[int] = field(default_factory=list)  # lines of calls/loops at import
    count_notes: list[str] = field(default_factory=list)
    problems: list[RuleProblem] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)  # dotted callee -> first line
    markers: dict[str, int] = field(default_factory=dict)  # pytest.mark.<name> -> first line
    strings: list[tuple[int, str]] = field(default_factory=list)  # dotted-looking strings
    pytest_plugins: list[str] = field(default_factory=list)

    @property
    def test_names(self) -> list[str]:
        return [t.qualname for t in self.tests]


def _module_level(tree: ast.Module, analysis: FileAnalysis) -> None:
    """Fixtures, hooks, script-like code and pytest_plugins at the module's top level."""
    constants: dict[str, ast.AST] = {}

    def walk(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if is_fixture(statement):
                    analysis.fixtures.append(_fixture(statement, constants))
                elif statement.name.startswith("pytest_"):
                    analysis.hooks.append(statement.name)
            elif isinstance(statement, ast.Assign):
                _note_module_skip(statement.value, analysis)
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = statement.value
                        if target.id == "pytest_plugins":
                            analysis.pytest_plugins += _strings(statement.value)
            elif isinstance(statement, ast.Expr):
                if isinstance(statement.value, (ast.Call, ast.Await)):
                    analysis.top_level_code.append(statement.lineno)
                    _note_module_skip(statement.value, analysis)
            elif isinstance(statement, (ast.For, ast.AsyncFor, ast.While)):
                analysis.top_level_code.append(statement.lineno)
            elif isinstance(statement, ast.If):
                if is_main_guard(statement):
                    analysis.has_main_block = True
                else:
                    walk(statement.body)
                    walk(statement.orelse)
            elif isinstance(statement, ast.Try):
                walk(statement.body)
                walk(statement.orelse)
                walk(statement.finalbody)

    walk(tree.body)


def _note_module_skip(value: ast.AST, analysis: FileAnalysis) -> None:
    """`pytest.importorskip(...)`/`pytest.skip(...)` at import: pytest may collect nothing."""
    if isinstance(value, ast.Call) and dotted(value.func) in (
        "pytest.importorskip",
        "pytest.skip",
        "importorskip",
    ):
        analysis.count_notes.append(
            f"line {value.lineno}: the module may skip itself at import "
            f"({dotted(value.func)}), then pytest collects none of its tests"
        )


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


def _fixture(
    node: ast.FunctionDef | ast.AsyncFunctionDef, constants: dict[str, ast.AST]
) -> FixtureDef:
    name = node.name
    autouse = False
    params: int | None = None
    params_exact = True
    for decorator in node.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        for keyword in decorator.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                name = str(keyword.value.value)
            elif keyword.arg == "autouse" and isinstance(keyword.value, ast.Constant):
                autouse = bool(keyword.value.value)
            elif keyword.arg == "params":
                count = count_values(keyword.value, constants)
                params, params_exact = max(1, count.value), count.exact
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    requests = tuple(a.arg for a in positional[: len(positional) - len(arguments.defaults)])
    return FixtureDef(name, node.lineno, autouse, params, params_exact, requests)


_PARSE_LOCK = threading.Lock()
_PARSE_ATTEMPTS = 3


def parse_module(source: bytes, path: str) -> ast.Module:
    """`ast.parse`, safe beside other threads that parse.

    CPython 3.11 keeps the depth counter of the tree it builds in state shared by all
    threads: two parses at once can fail with "AST constructor recursion depth mismatch"
    (seen in Prefect's served flow runs, where Prefect parses too). Our own parses take
    turns; a clash with someone else's is retried.
    """
    for attempt in range(_PARSE_ATTEMPTS):
        try:
            with _PARSE_LOCK:
                return ast.parse(source, filename=path)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == _PARSE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def analyze_source(
    path: str,
    source: bytes,
    *,
    function_patterns: tuple[str, ...] = ("test",),
    class_patterns: tuple[str, ...] = ("Test",),
) -> FileAnalysis:
    """Analyse one module's source; a syntax error is recorded, never raised."""
    analysis = FileAnalysis(path=path, sha256=hashlib.sha256(source).hexdigest())
    try:
        tree = parse_module(source, path)
    except SyntaxError as exc:
        analysis.syntax_error = (exc.lineno or 1, exc.msg or str(exc))
        return analysis
    except ValueError as exc:  # null bytes
        analysis.syntax_error = (1, str(exc))
        return analysis
    analysis.docstring = (ast.get_docstring(tree) or "")[:500]
    functions = tuple(function_patterns)
    scanned = scan(tree, lambda name: _matches(name, functions))
    analysis.imports = scanned.imports
    analysis.calls = scanned.calls
    analysis.markers = scanned.markers
    analysis.strings = scanned.strings
    _module_level(tree, analysis)
    imported: dict[str, int] = {}
    for index, ref in enumerate(analysis.imports):
        if not ref.top_level:
            continue
        if ref.is_from:
            for name in ref.names:
                if name == "*":
                    analysis.count_notes.append(f"star import from {'.' * ref.level}{ref.module}")
                    continue
                imported[name] = ref.line
                analysis.imported_names[name] = (index, ref.line, name)
    collector = ModuleCollector(
        tree, function_patterns=function_patterns, class_patterns=class_patterns, scanned=scanned
    )
    # Import aliases (`from x import test_a as test_b`) bind the alias name.
    bound = _import_aliases(tree)
    for alias, original in bound.items():
        if original in analysis.imported_names and alias != original:
            analysis.imported_names[alias] = analysis.imported_names.pop(original)
            imported[alias] = imported.pop(original, 0)
    result = collector.collect({**imported, **{a: 0 for a in bound}})
    analysis.tests = result.tests
    analysis.problems = result.problems
    analysis.count_notes += result.notes + [t.note for t in result.tests if t.note]
    return analysis


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    """Top-level `from x import a as b`: b -> a."""
    aliases: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
    return aliases
