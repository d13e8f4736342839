"""One traversal of a module's AST that gathers everything node-level the audit needs.

Imports (and whether they run at import time), callees, `pytest.mark.*` names,
dotted-looking strings, functions that contain `yield`, functions defined inside other
functions, and the fingerprints of every function whose name matches the test patterns
(see `fingerprint.py` for what they capture). Walking each node once matters: a large
suite has millions of nodes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from testing_lib.organizer.function_fingerprint import LEAF_SEPARATOR, MIN_SIZE, Fingerprint, digest

_DOTTED_STRING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_FIELDS: dict[type, tuple[str, ...]] = {}  # node type -> fields worth visiting


@dataclass
class ImportRef:
    """One import statement (for `from P import a, b`: all its names)."""

    line: int
    level: int  # 0: absolute; n: n leading dots
    module: str  # as written ("" for `from . import x`)
    names: tuple[str, ...]  # from-imports: the imported names ("*" for a star import)
    is_from: bool
    top_level: bool  # runs when the module is imported (not inside a def)


@dataclass
class _Prints:
    """Token streams of the test function being fingerprinted."""

    exact: list[str] = field(default_factory=list)
    near: list[str] = field(default_factory=list)
    leaves: list[str] = field(default_factory=list)
    local: dict[str, str] = field(default_factory=dict)
    free: set[str] = field(default_factory=set)
    size: int = 0

    def name(self, identifier: str, binds: bool) -> None:
        self.exact.append(identifier)
        placeholder = self.local.get(identifier)
        if placeholder is None and identifier not in self.free:
            if binds:
                placeholder = self.local[identifier] = f"v{len(self.local)}"
            else:
                self.free.add(identifier)
        if placeholder is None:
            self.near.append("g")
            self.leaves.append(identifier)
        else:
            self.near.append(placeholder)
            self.leaves.append(placeholder)

    def result(self) -> Fingerprint | None:
        if self.size < MIN_SIZE:
            return None
        return Fingerprint(
            exact=digest(self.exact),
            near=digest(self.near),
            leaves=LEAF_SEPARATOR.join(self.leaves),
            size=self.size,
        )


@dataclass
class ScanResult:
    imports: list[ImportRef] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    markers: dict[str, int] = field(default_factory=dict)
    strings: list[tuple[int, str]] = field(default_factory=list)
    generators: set[int] = field(default_factory=set)  # id() of functions containing yield
    nested: list[tuple[ast.AST, ast.AST]] = field(default_factory=list)  # (outer, inner) defs
    fingerprints: dict[int, Fingerprint | None] = field(default_factory=dict)  # id(def) -> fp


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a Name/Attribute chain (calls unwrapped), else None."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        else:
            return None


def _has_docstring(body: list[ast.stmt]) -> bool:
    return bool(
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def scan(tree: ast.Module, is_test_name: Callable[[str], bool]) -> ScanResult:
    """Walk `tree` once; fingerprint functions whose name passes `is_test_name`."""
    result = ScanResult()
    imports = result.imports
    calls = result.calls
    markers = result.markers
    strings = result.strings
    fingerprints = result.fingerprints
    prints: _Prints | None = None
    functions: list[ast.AST] = []  # enclosing defs, innermost last

    def visit(node: ast.AST, top: bool) -> None:
        nonlocal prints
        kind = type(node)
        fp = prints
        if fp is not None:
            fp.size += 1
            label = kind.__name__
            fp.exact.append(label)
            fp.near.append(label)
        if kind is ast.Name:
            if fp is not None:
                fp.name(node.id, not isinstance(node.ctx, ast.Load))  # type: ignore[attr-defined]
            return
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            if fp is not None:
                text = repr(value)
                fp.exact.append(text)
                fp.near.append(type(value).__name__)
                fp.leaves.append(text)
            if type(value) is str and len(value) < 200 and _DOTTED_STRING.match(value):
                strings.append((node.lineno, value))  # type: ignore[attr-defined]
            return
        if kind is ast.arg:
            if fp is not None:
                fp.name(node.arg, True)  # type: ignore[attr-defined]
            return
        if kind is ast.Attribute:
            value = node.value  # type: ignore[attr-defined]
            attr = node.attr  # type: ignore[attr-defined]
            if (
                type(value) is ast.Attribute
                and value.attr == "mark"
                and type(value.value) is ast.Name
                and value.value.id == "pytest"
            ):
                markers.setdefault(attr, node.lineno)  # type: ignore[attr-defined]
            visit(value, top)
            if fp is not None:
                fp.exact.append(attr)
                fp.near.append(attr)
            return
        if kind is ast.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                imports.append(ImportRef(node.lineno, 0, alias.name, (), False, top))  # type: ignore[attr-defined]
            if fp is not None:
                fp.exact.append(",".join(a.name for a in node.names))  # type: ignore[attr-defined]
            return
        if kind is ast.ImportFrom:
            names = tuple(a.name for a in node.names)  # type: ignore[attr-defined]
            imports.append(
                ImportRef(
                    node.lineno,  # type: ignore[attr-defined]
                    node.level or 0,  # type: ignore[attr-defined]
                    node.module or "",  # type: ignore[attr-defined]
                    names,
                    True,
                    top,
                )
            )
            if fp is not None:
                fp.exact.append(f"{node.module}:{','.join(names)}")  # type: ignore[attr-defined]
            return
        if kind is ast.Call:
            callee = dotted(node.func)  # type: ignore[attr-defined]
            if callee is not None and callee not in calls:
                calls[callee] = node.lineno  # type: ignore[attr-defined]
        elif kind is ast.Yield or kind is ast.YieldFrom:
            if functions:
                result.generators.add(id(functions[-1]))
        elif kind in _FUNCTIONS:
            function(node, top)  # type: ignore[arg-type]
            return
        elif kind is ast.Lambda:
            top = False
        fields = _FIELDS.get(kind)
        if fields is None:
            fields = _FIELDS[kind] = tuple(
                f for f in kind._fields if f not in ("ctx", "type_comment")
            )
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                if fp is not None:
                    fp.exact.append("[")
                    fp.near.append("[")
                for element in value:
                    if isinstance(element, ast.AST):
                        visit(element, top)
                    elif fp is not None:
                        fp.exact.append(repr(element))
                        fp.near.append(repr(element))
                if fp is not None:
                    fp.exact.append("]")
                    fp.near.append("]")
            elif isinstance(value, ast.AST):
                visit(value, top)
            elif fp is not None:
                text = "_" if value is None else str(value)
                fp.exact.append(text)
                fp.near.append(text)

    def function(node: ast.FunctionDef | ast.AsyncFunctionDef, top: bool) -> None:
        nonlocal prints
        if functions:
            result.nested.append((functions[-1], node))
        starts = prints is None and is_test_name(node.name)
        if starts:
            prints = _Prints()
        elif prints is not None:
            prints.exact.append(node.name)
            prints.near.append("def")
        for decorator in node.decorator_list:
            visit(decorator, top)
        visit(node.args, top)
        if node.returns is not None:
            visit(node.returns, top)
        if prints is not None:
            prints.exact.append("|")
            prints.near.append("|")
        functions.append(node)
        body = node.body[1:] if starts and _has_docstring(node.body) else node.body
        for statement in body:
            visit(statement, False)
        functions.pop()
        if starts:
            assert prints is not None
            fingerprints[id(node)] = prints.result()
            prints = None

    for statement in tree.body:
        visit(statement, True)
    imports.sort(key=lambda item: item.line)
    return result


def fingerprint(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Fingerprint | None:
    """The fingerprints of one function; None when its body is too small to judge."""
    return scan(ast.Module(body=[node], type_ignores=[]), lambda _: True).fingerprints[id(node)]
