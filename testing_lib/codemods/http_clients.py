"""Rewrite httpx clients built with `app=` (removed in httpx 0.28) to explicit transports.

    httpx.AsyncClient(app=app, base_url="http://test")
 -> httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    httpx.Client(app=wsgi_app)
 -> httpx.Client(transport=httpx.WSGITransport(app=wsgi_app))

That is exactly what httpx < 0.28 did with `app=` (`AsyncClient` wrapped it in
`ASGITransport`, `Client` in `WSGITransport`), so behaviour is unchanged. A sync `Client` given
an ASGI app (FastAPI) was already broken before 0.28; the rewrite keeps it a WSGI transport and
the problem visible (use `AsyncClient` or starlette's `TestClient` there).

Names are resolved with libcst's scope analysis, so `import httpx as hx`, `from httpx import
AsyncClient as AC` and friends are found; when the client was imported by name, the transport
is imported next to it. Formatting and comments are kept. A call that passes both `app=` and
`transport=` is reported and left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import PositionProvider, QualifiedNameProvider

TRANSPORTS = {"httpx.AsyncClient": "ASGITransport", "httpx.Client": "WSGITransport"}


@dataclass(frozen=True)
class Rewrite:
    line: int
    client: str  # "httpx.AsyncClient"
    transport: str  # "ASGITransport"


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str


@dataclass
class RewriteResult:
    code: str
    rewrites: list[Rewrite] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.rewrites)


def _keyword(arg: cst.Arg) -> str | None:
    return arg.keyword.value if arg.keyword is not None else None


class HttpClientAppCommand(VisitorBasedCodemodCommand):
    """`httpx.AsyncClient(app=...)` / `httpx.Client(app=...)` -> explicit transports."""

    DESCRIPTION = "Replace httpx's removed app= argument with an explicit ASGI/WSGI transport."
    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider)

    def __init__(self, context: CodemodContext) -> None:
        super().__init__(context)
        self.rewrites: list[Rewrite] = []
        self.skipped: list[Skipped] = []

    def _client_name(self, node: cst.Call) -> str | None:
        names = self.get_metadata(QualifiedNameProvider, node.func, set())
        for name in names:
            if name.name in TRANSPORTS:
                return name.name
        return None

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        client = self._client_name(original_node)
        if client is None:
            return updated_node
        keywords = [_keyword(arg) for arg in updated_node.args]
        if "app" not in keywords:
            return updated_node
        line = self.get_metadata(PositionProvider, original_node).start.line
        if "transport" in keywords:
            self.skipped.append(
                Skipped(line, f"{client}(...) passes both app= and transport=: fix it by hand")
            )
            return updated_node
        transport_name = TRANSPORTS[client]
        func = updated_node.func
        transport: cst.BaseExpression
        if isinstance(func, cst.Attribute):  # httpx.AsyncClient -> httpx.ASGITransport
            transport = cst.Attribute(value=func.value, attr=cst.Name(transport_name))
        else:  # AsyncClient imported by name: import the transport next to it
            transport = cst.Name(transport_name)
            AddImportsVisitor.add_needed_import(self.context, "httpx", transport_name)
        args = []
        for arg in updated_node.args:
            if _keyword(arg) == "app":
                inner = cst.Arg(
                    keyword=cst.Name("app"),
                    value=arg.value,
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                )
                arg = arg.with_changes(
                    keyword=cst.Name("transport"),
                    value=cst.Call(func=transport, args=[inner]),
                )
            args.append(arg)
        self.rewrites.append(Rewrite(line, client, transport_name))
        return updated_node.with_changes(args=args)


def rewrite_http_clients(source: str) -> RewriteResult:
    """Rewrite one module's source. Raises `libcst.ParserSyntaxError` when it does not parse."""
    module = cst.parse_module(source)
    command = HttpClientAppCommand(CodemodContext())
    new_module = command.transform_module(module)
    if not command.rewrites:
        return RewriteResult(code=source, skipped=command.skipped)
    return RewriteResult(code=new_module.code, rewrites=command.rewrites, skipped=command.skipped)
