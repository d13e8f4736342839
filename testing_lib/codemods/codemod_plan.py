"""What a codemod would change in a target: per-file rewrites, diffs, and what it cannot touch.

Planning reads only. Files are the target's Python files (or one file), skipping hidden and
virtual-environment folders; only files that mention `httpx` are parsed. A file that does not
parse is reported and left alone, located as Python itself locates the error
(`path:LINE: SyntaxError: message`, from `ast.parse`, whose line can differ from libcst's).
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from testing_lib.codemods.http_clients import Rewrite, Skipped, rewrite_http_clients

SKIP_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "venv", "env", "build", "dist"}
)
MARKER = b"httpx"


@dataclass(frozen=True)
class FilePlan:
    """One file's change: a rewrite of an existing file (`before` is its bytes) or, when
    `created`, a new file (`before` is empty; the file must not exist when applied)."""

    path: Path  # absolute
    relative: str  # to the target root, for display and the journal
    before: bytes
    after: bytes
    rewrites: tuple[Rewrite, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    created: bool = False

    def __post_init__(self) -> None:
        if self.created and self.before:
            raise ValueError(f"{self.relative}: a created file has no bytes before (before=b'')")

    @property
    def changed(self) -> bool:
        """True when applying it writes something; a new empty file (`__init__.py`) too."""
        return self.created or self.before != self.after

    def diff(self) -> str:
        """A unified diff; a created file's is from /dev/null, as git shows it."""
        before = self.before.decode("utf-8", errors="replace").splitlines(keepends=True)
        after = self.after.decode("utf-8", errors="replace").splitlines(keepends=True)
        old = "/dev/null" if self.created else f"a/{self.relative}"
        new = f"b/{self.relative}"
        if self.created and not after:  # nothing to show but the file's arrival
            return f"--- {old}\n+++ {new}\n"
        return "".join(difflib.unified_diff(before, after, old, new))


@dataclass(frozen=True)
class Unparseable:
    relative: str
    error: str  # "SyntaxError: invalid syntax", as Python names it when it can
    line: int | None = None

    def describe(self) -> str:
        """`path:LINE: SyntaxError: message`, the way Python reports it."""
        where = f"{self.relative}:{self.line}" if self.line is not None else self.relative
        return f"{where}: {self.error}"


@dataclass
class CodemodPlan:
    root: Path
    files: list[FilePlan] = field(default_factory=list)  # only files with findings
    unparseable: list[Unparseable] = field(default_factory=list)
    scanned: int = 0

    @property
    def changes(self) -> list[FilePlan]:
        return [plan for plan in self.files if plan.changed]

    @property
    def rewrite_count(self) -> int:
        return sum(len(plan.rewrites) for plan in self.files)

    @property
    def skipped(self) -> list[tuple[str, Skipped]]:
        return [(plan.relative, item) for plan in self.files for item in plan.skipped]

    def diff(self) -> str:
        return "".join(plan.diff() for plan in self.changes)


def python_files(target: Path) -> Iterator[Path]:
    """`target` itself when it is a file, else its .py files outside hidden/venv folders."""
    if target.is_file():
        yield target
        return
    for path in sorted(target.rglob("*.py")):
        parts = path.relative_to(target).parts[:-1]
        if any(part.startswith(".") or part in SKIP_DIRS for part in parts):
            continue
        if path.is_file():
            yield path


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _python_error(data: bytes, relative: str) -> Unparseable | None:
    """Where and why Python itself refuses `data` (None when it compiles)."""
    try:
        ast.parse(data, filename=relative)
    except SyntaxError as exc:  # IndentationError and TabError included, named as such
        return Unparseable(relative, f"{type(exc).__name__}: {exc.msg}", exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return Unparseable(relative, f"{type(exc).__name__}: {exc}")
    return None


def _unparseable(data: bytes, relative: str, exc: cst.ParserSyntaxError) -> Unparseable:
    python = _python_error(data, relative)
    if python is not None:
        return python
    # Python compiles it but libcst cannot (syntax newer than libcst): say so, libcst's line
    message = exc.message.strip().splitlines()[0] if exc.message.strip() else "syntax error"
    return Unparseable(relative, f"libcst cannot parse it (Python can): {message}", exc.editor_line)


def plan_http_clients(target: Path) -> CodemodPlan:
    """Plan the `app=` -> transport rewrite for every file of `target` (a folder or a file)."""
    target = target.resolve()
    root = target.parent if target.is_file() else target
    plan = CodemodPlan(root=root)
    for path in python_files(target):
        data = path.read_bytes()
        plan.scanned += 1
        if MARKER not in data:
            continue
        relative = _relative(path, root)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            python = _python_error(data, relative)
            if python is None:  # valid under a coding declaration: the codemod reads UTF-8
                python = Unparseable(relative, f"not UTF-8, which the codemod needs: {exc}")
            plan.unparseable.append(python)
            continue
        try:
            result = rewrite_http_clients(source)
        except cst.ParserSyntaxError as exc:
            plan.unparseable.append(_unparseable(data, relative, exc))
            continue
        if result.rewrites or result.skipped:
            plan.files.append(
                FilePlan(
                    path=path,
                    relative=relative,
                    before=data,
                    after=result.code.encode("utf-8") if result.changed else data,
                    rewrites=tuple(result.rewrites),
                    skipped=tuple(result.skipped),
                )
            )
    return plan
