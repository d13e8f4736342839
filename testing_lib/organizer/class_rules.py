"""Which classes pytest collects, read from their definitions instead of the classes.

A class is a `unittest.TestCase` when a base (in this module or not) ends in `TestCase`;
pytest refuses any other class that (or whose base) defines `__init__`/`__new__`, is a
dataclass, or derives from a class with a constructor (exceptions, NamedTuple, pydantic
models, builtins, enums). Bases are followed within the module only; a class body is a
namespace where the last definition of a name wins, and `__test__ = False` disables it.
"""

from __future__ import annotations

import ast

from testing_lib.organizer.collection_results import RuleProblem
from testing_lib.organizer.scan import dotted

# Bases whose classes have an __init__ pytest refuses to collect around.
INIT_BASES = {
    "Exception",
    "BaseException",
    "ValueError",
    "RuntimeError",
    "NamedTuple",
    "typing.NamedTuple",
    "BaseModel",
    "pydantic.BaseModel",
    "dict",
    "list",
    "tuple",
    "set",
    "str",
    "int",
    "Enum",
    "enum.Enum",
}
HARMLESS_BASES = {"object", "ABC", "abc.ABC"}


def bases(node: ast.ClassDef) -> list[str]:
    """The dotted names of a class's bases, as written."""
    return [name for b in node.bases if (name := dotted(b))]


def is_unittest(node: ast.ClassDef, classes: dict[str, ast.ClassDef], depth: int = 0) -> bool:
    """Whether the class derives from a `TestCase`, following `classes` (the module's)."""
    for base in bases(node):
        if base.endswith("TestCase"):
            return True
        local = classes.get(base)
        if local is not None and local is not node and depth < 20:
            if is_unittest(local, classes, depth + 1):
                return True
    return False


def module_mro(
    node: ast.ClassDef, classes: dict[str, ast.ClassDef], notes: list[str], depth: int = 0
) -> list[ast.ClassDef]:
    """The class and its in-module bases, depth first (close enough to C3 here)."""
    order = [node]
    if depth > 20:
        return order
    for base in bases(node):
        local = classes.get(base)
        if local is not None and local is not node:
            order += [c for c in module_mro(local, classes, notes, depth + 1) if c not in order]
        elif base not in HARMLESS_BASES and base not in INIT_BASES:
            notes.append(f"base class {base} of {node.name} is not in this module")
    return order


def init_reason(mro: list[ast.ClassDef]) -> str | None:
    """Why pytest refuses a class with this MRO (it gets a constructor), or None."""
    for klass in mro:
        names = decorator_names(klass)
        if names & {"dataclass", "dataclasses.dataclass", "attr.s", "attrs.define", "define"}:
            return f"{klass.name} is a dataclass (it gets an __init__)"
        for base in bases(klass):
            if base in INIT_BASES:
                return f"{klass.name} derives from {base}, which has an __init__"
        for statement in klass.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                statement.name in ("__init__", "__new__")
            ):
                return f"{klass.name} defines {statement.name}"
    return None


def decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    """The dotted names of a definition's decorators (calls by the name they call)."""
    return {name for d in node.decorator_list if (name := dotted(d))}


def class_body_defs(
    node: ast.ClassDef,
) -> tuple[dict[str, ast.AST], bool, list[RuleProblem]]:
    """A class body's namespace: defined names (last wins), and whether `__test__ = False`."""
    namespace: dict[str, ast.AST] = {}
    test_disabled = False
    problems: list[RuleProblem] = []
    seen_lines: dict[str, int] = {}
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if statement.name in seen_lines and statement.name.startswith("test"):
                problems.append(
                    RuleProblem(
                        "shadowed_test",
                        statement.lineno,
                        f"{node.name}.{statement.name} is defined again here (first at line "
                        f"{seen_lines[statement.name]}); pytest only sees the last one: "
                        "rename one of them",
                    )
                )
            seen_lines[statement.name] = statement.lineno
            namespace[statement.name] = statement
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    if (
                        target.id == "__test__"
                        and isinstance(statement.value, ast.Constant)
                        and not statement.value.value
                    ):
                        test_disabled = True
                    namespace[target.id] = statement.value
    return namespace, test_disabled, problems
