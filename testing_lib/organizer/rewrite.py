"""Rewrite the imports of a module whose dependencies (or itself) move, keeping its format.

Works on libcst's concrete syntax tree, so comments, blank lines, parentheses and quote
styles survive; only the module names change. Statements are matched by line and by the
module as written, exactly as the audit read them.

- `import a.b` used as `a.b.f()`: the import and every `a.b` chain in the code follow;
- `import helpers` (a sibling that moved into a package): `import tests.fixtures.helpers as
  helpers`, so the name the code uses is unchanged;
- `from P import a, b` where `a` is a moved module and `b` is not: split in two statements;
- `from .x import y`: stays relative when both ends are in one package tree, else absolute;
- strings naming a moved module (`mock.patch("tests.helpers.now")`, `pytest_plugins`)
  follow too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider

from testing_lib.organizer.models import ImportChange, ImportRewrite


@dataclass(frozen=True, slots=True)
class ModuleRef:
    """A module as an import names it: `level` dots, then `module` (may be "")."""

    level: int
    module: str

    def text(self) -> str:
        return "." * self.level + self.module


@dataclass
class FileChanges:
    """What to change in one file: imports by (line, level, module, name), and strings.

    `name` is the imported name when it is itself the module that moved
    (`from tests import helpers`), None when the statement's module moved.
    """

    imports: dict[tuple[int, int, str, str | None], ModuleRef] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.imports or self.strings)

    def to_models(self) -> list[ImportChange]:
        return [
            ImportChange(
                line=line,
                level=level,
                module=module,
                name=name,
                new_level=ref.level,
                new_module=ref.module,
            )
            for (line, level, module, name), ref in sorted(
                self.imports.items(), key=lambda item: (item[0][0], item[0][2], item[0][3] or "")
            )
        ]

    @classmethod
    def from_models(cls, changes: Sequence[ImportChange], strings: dict[str, str]) -> FileChanges:
        return cls(
            imports={
                (c.line, c.level, c.module, c.name): ModuleRef(c.new_level, c.new_module)
                for c in changes
            },
            strings=dict(strings),
        )


class RewriteError(Exception):
    """libcst could not parse or regenerate a module the plan has to rewrite."""


def _dotted(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    name = get_full_name_for_node(node)
    return name or ""


def _name_node(dotted: str) -> cst.Attribute | cst.Name:
    expression = cst.parse_expression(dotted)
    assert isinstance(expression, (cst.Attribute, cst.Name))
    return expression


def _alias_binding(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return _dotted(alias.name)


def _with_asname(alias: cst.ImportAlias, binding: str | None) -> cst.ImportAlias:
    if binding is None:
        return alias.with_changes(asname=None)
    return alias.with_changes(
        asname=cst.AsName(
            name=cst.Name(binding),
            whitespace_before_as=cst.SimpleWhitespace(" "),
            whitespace_after_as=cst.SimpleWhitespace(" "),
        )
    )


def _clean_alias(alias: cst.ImportAlias, last: bool) -> cst.ImportAlias:
    if last:
        return alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return alias


class _Transformer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, changes: FileChanges) -> None:
        super().__init__()
        self.changes = changes
        self.attributes: dict[str, str] = {}  # `import a.b` usages: a.b -> new dotted
        self.in_import = 0
        self.records: list[tuple[int, cst.CSTNode, list[cst.BaseSmallStatement]]] = []
        self.expressions: list[tuple[int, cst.CSTNode, cst.CSTNode]] = []

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    # -- imports ------------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        self.in_import += 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.in_import += 1

    def leave_Import(
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.BaseSmallStatement:
        self.in_import -= 1
        line = self._line(original_node)
        aliases = []
        changed = False
        for alias in updated_node.names:
            written = _dotted(alias.name)
            new = self.changes.imports.get((line, 0, written, None))
            if new is None or new.level or new.module == written:
                aliases.append(alias)
                continue
            changed = True
            renamed = alias.with_changes(name=_name_node(new.module))
            if alias.asname is None and "." not in written:
                renamed = _with_asname(renamed, written)  # the code keeps its name for it
            elif alias.asname is None:
                self.attributes[written] = new.module  # `a.b.f()` usages follow
            aliases.append(renamed)
        if not changed:
            return updated_node
        result = updated_node.with_changes(names=aliases)
        self.records.append((line, original_node, [result]))
        return result

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.BaseSmallStatement | cst.FlattenSentinel[cst.BaseSmallStatement]:
        self.in_import -= 1
        line = self._line(original_node)
        level = len(original_node.relative)
        written = _dotted(original_node.module)
        whole = self.changes.imports.get((line, level, written, None))
        if isinstance(updated_node.names, cst.ImportStar):
            if whole is None:
                return updated_node
            result = self._from(updated_node, whole, updated_node.names)
            self.records.append((line, original_node, [result]))
            return result
        # Group the names by the module they will come from, keeping their order.
        groups: dict[tuple[str, int, str], list[cst.ImportAlias]] = {}
        for alias in updated_node.names:
            name = _dotted(alias.name)
            binding = _alias_binding(alias)
            sub = self.changes.imports.get((line, level, written, name))
            if sub is not None:
                parent, _, last = sub.module.rpartition(".")
                renamed = alias.with_changes(name=cst.Name(last))
                renamed = _with_asname(renamed, binding if binding != last else None)
                if sub.level == 0 and not parent:
                    key = ("import", 0, last)
                else:
                    key = ("from", sub.level, parent)
                groups.setdefault(key, []).append(renamed)
            elif whole is not None:
                groups.setdefault(("from", whole.level, whole.module), []).append(alias)
            else:
                groups.setdefault(("from", level, written), []).append(alias)
        if list(groups) == [("from", level, written)]:
            return updated_node
        if whole is not None and list(groups) == [("from", whole.level, whole.module)]:
            result = (
                updated_node.with_changes(  # only the module changes: keep the names as written
                    relative=[cst.Dot()] * whole.level,
                    module=_name_node(whole.module) if whole.module else None,
                )
            )
            self.records.append((line, original_node, [result]))
            return result
        statements: list[cst.BaseSmallStatement] = []
        for (form, new_level, module), aliases in groups.items():
            aliases = [_clean_alias(a, i == len(aliases) - 1) for i, a in enumerate(aliases)]
            if form == "import":
                statements += [cst.Import(names=[_clean_alias(a, True)]) for a in aliases]
            elif len(groups) == 1:
                statements.append(self._from(updated_node, ModuleRef(new_level, module), aliases))
            else:
                statements.append(
                    self._from(
                        updated_node.with_changes(lpar=None, rpar=None),
                        ModuleRef(new_level, module),
                        aliases,
                    )
                )
        self.records.append((line, original_node, statements))
        if len(statements) == 1:
            return statements[0]
        return cst.FlattenSentinel(statements)

    @staticmethod
    def _from(
        node: cst.ImportFrom,
        ref: ModuleRef,
        names: Sequence[cst.ImportAlias] | cst.ImportStar,
    ) -> cst.ImportFrom:
        if isinstance(names, cst.ImportStar):
            return node.with_changes(
                relative=[cst.Dot()] * ref.level,
                module=_name_node(ref.module) if ref.module else None,
                names=names,
            )
        parenthesized = node.lpar is not None and len(names) == len(node.names)  # type: ignore[arg-type]
        return node.with_changes(
            relative=[cst.Dot()] * ref.level,
            module=_name_node(ref.module) if ref.module else None,
            names=list(names),
            lpar=node.lpar if parenthesized else None,
            rpar=node.rpar if parenthesized else None,
        )

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        """One statement per line when a lone import had to be split (no `;` chains)."""
        if len(original_node.body) != 1 or len(updated_node.body) == 1:
            return updated_node
        lines = []
        for index, statement in enumerate(updated_node.body):
            lines.append(
                cst.SimpleStatementLine(
                    body=[statement.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
                    leading_lines=updated_node.leading_lines if index == 0 else [],
                    trailing_whitespace=updated_node.trailing_whitespace,
                )
            )
        return cst.FlattenSentinel(lines)

    # -- usages and strings --------------------------------------------------------------------

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if self.in_import or not self.attributes:
            return updated_node
        full = get_full_name_for_node(updated_node)
        if full is not None and full in self.attributes:
            replacement = _name_node(self.attributes[full]).with_changes(
                lpar=updated_node.lpar, rpar=updated_node.rpar
            )
            self.expressions.append((self._line(original_node), original_node, replacement))
            return replacement
        return updated_node

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.BaseExpression:
        if not self.changes.strings:
            return updated_node
        value = updated_node.evaluated_value
        if not isinstance(value, str):
            return updated_node
        for old, new in self.changes.strings.items():
            if value == old or value.startswith(old + "."):
                replaced = new + value[len(old) :]
                quote = updated_node.quote
                replacement = updated_node.with_changes(
                    value=f"{updated_node.prefix}{quote}{replaced}{quote}"
                )
                self.expressions.append((self._line(original_node), original_node, replacement))
                return replacement
        return updated_node


def rewrite_source(source: bytes, changes: FileChanges) -> tuple[bytes, list[ImportRewrite]]:
    """The module with `changes` applied, and what changed where (empty: nothing to do)."""
    if not changes:
        return source, []
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise RewriteError(f"libcst cannot parse it: {exc}") from exc
    wrapper = MetadataWrapper(module)
    transformer = _Transformer(changes)
    updated = wrapper.visit(transformer)
    rewritten = updated.bytes
    records = [
        ImportRewrite(
            line=line,
            before=module.code_for_node(original).strip().rstrip(";").rstrip(),
            after="\n".join(module.code_for_node(s).strip().rstrip(";").rstrip() for s in new),
        )
        for line, original, new in transformer.records
    ]
    records += [
        ImportRewrite(
            line=line,
            before=module.code_for_node(original).strip(),
            after=module.code_for_node(new).strip(),
        )
        for line, original, new in transformer.expressions
    ]
    records.sort(key=lambda r: r.line)
    return rewritten, records
