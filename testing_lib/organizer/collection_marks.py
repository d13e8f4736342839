"""The marks that shape a test's items: `parametrize` multiplies, `usefixtures` requests.

Stacked `parametrize` marks multiply (an empty argvalues list still yields one item);
argvalues are counted statically when they can be (literals, module constants, `range`,
simple comprehensions) and marked inexact otherwise. A module's or class's `pytestmark`
assignment is read as marks too, for the collector to apply to every test beneath.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from testing_lib.organizer.scan import dotted

PARAMETRIZE = ("pytest.mark.parametrize", "mark.parametrize")
USEFIXTURES = ("pytest.mark.usefixtures", "mark.usefixtures")


@dataclass
class Count:
    """A number of items and whether it is certain."""

    value: int
    exact: bool = True
    note: str | None = None


def count_values(node: ast.AST | None, constants: dict[str, ast.AST]) -> Count:
    """How many cases an argvalues/params expression yields, statically if possible."""
    if node is None:
        return Count(1, False, "argvalues missing")
    if isinstance(node, ast.Name) and node.id in constants:
        return count_values(constants[node.id], {})
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            return Count(max(1, len(node.elts)), False, "starred argvalues")
        return Count(len(node.elts))
    if isinstance(node, ast.Dict):
        return Count(len(node.keys))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        values = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, int)
        ]
        if len(values) == len(node.args):
            return Count(len(range(*values)))
    if isinstance(node, ast.ListComp) and len(node.generators) == 1:
        generator = node.generators[0]
        if not generator.ifs:
            return count_values(generator.iter, constants)
    return Count(1, False, "argvalues computed at run time")


@dataclass
class Marks:
    """What the marks reaching a test do: items per test, certainty, names, fixtures."""

    multiplier: int = 1
    exact: bool = True
    argnames: set[str] = field(default_factory=set)
    usefixtures: list[str] = field(default_factory=list)
    note: str | None = None

    def empty(self) -> bool:
        return (
            self.multiplier == 1
            and self.exact
            and not self.argnames
            and not self.usefixtures
            and self.note is None
        )

    def combine(self, other: Marks) -> Marks:
        if other.empty():
            return self
        if self.empty():
            return other
        return Marks(
            self.multiplier * other.multiplier,
            self.exact and other.exact,
            self.argnames | other.argnames,
            self.usefixtures + other.usefixtures,
            self.note or other.note,
        )


def _argnames(node: ast.AST | None) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {n.strip() for n in node.value.split(",") if n.strip()}
    if isinstance(node, (ast.List, ast.Tuple)):
        return {
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        }
    return set()


def marks_of(expressions: list[ast.expr], constants: dict[str, ast.AST]) -> Marks:
    """What parametrize/usefixtures marks among `expressions` do to the tests they reach."""
    marks = Marks()
    if not expressions:
        return marks
    for expression in expressions:
        if not isinstance(expression, ast.Call):
            continue
        name = dotted(expression.func)
        if name in PARAMETRIZE:
            keywords = {k.arg: k.value for k in expression.keywords if k.arg}
            names_node = expression.args[0] if expression.args else keywords.get("argnames")
            values_node = (
                expression.args[1] if len(expression.args) > 1 else keywords.get("argvalues")
            )
            count = count_values(values_node, constants)
            indirect = keywords.get("indirect")
            argnames = _argnames(names_node)
            if not (isinstance(indirect, ast.Constant) and indirect.value is True):
                marks.argnames |= argnames
            marks.multiplier *= max(1, count.value)
            if not count.exact:
                marks.exact = False
                marks.note = marks.note or count.note
        elif name in USEFIXTURES:
            marks.usefixtures += [
                a.value
                for a in expression.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
    return marks


def pytestmark_expressions(body: list[ast.stmt]) -> list[ast.expr]:
    """The marks of a `pytestmark = mark` or `pytestmark = [marks]` assignment in `body`."""
    found: list[ast.expr] = []
    for statement in body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets
        ):
            value = statement.value
            found.extend(value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value])
    return found
