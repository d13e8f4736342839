"""What a project declares it depends on, and where: the files a missing package is added to.

Read from the project's own files, never from an interpreter: `pyproject.toml`'s
`[project] dependencies`, `[project.optional-dependencies]`, `[dependency-groups]` and
Poetry's tables, and the `requirements*.txt` files at the root (and in `requirements/`).
Names are compared normalized (`Foo_Bar` and `foo-bar` are one distribution).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from testing_lib.config.pyproject import PYPROJECT, PyprojectError, read_document

logger = logging.getLogger(__name__)

Kind = Literal["project", "optional", "group", "poetry", "requirements"]

# import name -> the distribution that provides it, where the two differ (common ones)
DISTRIBUTIONS = {
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "cv2": "opencv-python",
    "Crypto": "pycryptodome",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jose": "python-jose",
    "jwt": "PyJWT",
    "magic": "python-magic",
    "multipart": "python-multipart",
    "MySQLdb": "mysqlclient",
    "OpenSSL": "pyOpenSSL",
    "PIL": "Pillow",
    "psycopg2": "psycopg2-binary",
    "serial": "pyserial",
    "sklearn": "scikit-learn",
    "socks": "PySocks",
    "yaml": "PyYAML",
    "zmq": "pyzmq",
}
# a group, extra or file for tests: preferred, in this order, for a test dependency
_TEST_GROUPS = ("test", "tests", "testing", "dev")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def normalize(name: str) -> str:
    """A distribution name as package indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_for(module: str) -> str:
    """The distribution most likely to provide the top-level `module`."""
    top = module.split(".", 1)[0]
    return DISTRIBUTIONS.get(top, top)


class DependencySource(BaseModel):
    """One list of declared dependencies: a table (or group) of pyproject.toml, or a file."""

    model_config = ConfigDict(frozen=True)

    file: str  # relative to the project's root
    kind: Kind
    group: str | None = None  # the extra, dependency group or Poetry group
    names: tuple[str, ...] = ()  # normalized

    @property
    def where(self) -> str:
        """The table or file as a person looks for it: `pyproject.toml [dependency-groups] test`."""
        if self.kind == "project":
            return f"{self.file} [project] dependencies"
        if self.kind == "optional":
            return f"{self.file} [project.optional-dependencies] {self.group}"
        if self.kind == "group":
            return f"{self.file} [dependency-groups] {self.group}"
        if self.kind == "poetry":
            table = f"group.{self.group}." if self.group else ""
            return f"{self.file} [tool.poetry.{table}dependencies]"
        return self.file

    def install_command(self, python: str) -> str:
        """How to install what this source declares into `python` (run in the project's root)."""
        if self.kind == "project":
            return f"{python} -m pip install -e ."
        if self.kind == "optional":
            return f"{python} -m pip install -e '.[{self.group}]'"
        if self.kind == "group":
            return f"{python} -m pip install --group {self.group} (pip 25.1 or newer)"
        if self.kind == "poetry":
            return f"poetry install --with {self.group}" if self.group else "poetry install"
        return f"{python} -m pip install -r {self.file}"


class DeclaredDependencies(BaseModel):
    """Every dependency list a project declares."""

    model_config = ConfigDict(frozen=True)

    sources: tuple[DependencySource, ...] = ()
    has_project_table: bool = False  # pyproject.toml has a [project] table
    uses_poetry: bool = False

    def declaring(self, distributions: Iterable[str]) -> DependencySource | None:
        """The first source that declares one of `distributions`."""
        wanted = {normalize(name) for name in distributions}
        for source in self.sources:
            if wanted.intersection(source.names):
                return source
        return None

    def where_to_add(self) -> str | None:
        """Where a test dependency belongs: the project's test group, extra or requirements
        file; else where it would start one. None: the project declares no dependencies."""
        for group in _TEST_GROUPS:
            for source in self.sources:
                if source.group == group or (
                    source.kind == "requirements" and group in Path(source.file).name
                ):
                    return source.where
        if any(source.kind == "group" for source in self.sources):
            return f"{PYPROJECT} [dependency-groups] (a new `test` group)"
        if self.has_project_table:
            return f"{PYPROJECT} [project.optional-dependencies] (a new `test` extra)"
        if self.uses_poetry:
            return f"{PYPROJECT} [tool.poetry.group.dev.dependencies]"
        requirements = [s for s in self.sources if s.kind == "requirements"]
        return requirements[0].where if requirements else None


def _names(requirements: Iterable[object]) -> tuple[str, ...]:
    names = []
    for requirement in requirements:
        if isinstance(requirement, str):  # a table ({include-group = ...}) lists no name
            found = _REQUIREMENT.match(requirement)
            if found:
                names.append(normalize(found.group(1)))
    return tuple(names)


def _pyproject_sources(document: dict[str, object]) -> Iterator[DependencySource]:
    project = document.get("project")
    if isinstance(project, dict):
        listed = project.get("dependencies")
        if isinstance(listed, list):
            yield DependencySource(file=PYPROJECT, kind="project", names=_names(listed))
        extras = project.get("optional-dependencies")
        for group, listed in (extras if isinstance(extras, dict) else {}).items():
            if isinstance(listed, list):
                yield DependencySource(
                    file=PYPROJECT, kind="optional", group=group, names=_names(listed)
                )
    groups = document.get("dependency-groups")
    for group, listed in (groups if isinstance(groups, dict) else {}).items():
        if isinstance(listed, list):
            yield DependencySource(file=PYPROJECT, kind="group", group=group, names=_names(listed))
    yield from _poetry_sources(document)


def _poetry_sources(document: dict[str, object]) -> Iterator[DependencySource]:
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if not isinstance(poetry, dict):
        return
    tables: list[tuple[str | None, object]] = [
        (None, poetry.get("dependencies")),
        ("dev", poetry.get("dev-dependencies")),
    ]
    groups = poetry.get("group")
    for group, table in (groups if isinstance(groups, dict) else {}).items():
        tables.append((group, table.get("dependencies") if isinstance(table, dict) else None))
    for group, table in tables:
        if isinstance(table, dict):
            names = tuple(normalize(name) for name in table if name != "python")
            yield DependencySource(file=PYPROJECT, kind="poetry", group=group, names=names)


def _requirement_files(root: Path) -> list[Path]:
    found = {*root.glob("*requirements*.txt"), *root.glob("requirements/*.txt")}
    return sorted(path for path in found if path.is_file())


def _requirement_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("Cannot read %s: %s; its dependencies are not known", path, exc)
        return []
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]


def declared_dependencies(root: Path) -> DeclaredDependencies:
    """Every dependency list of the project at `root` (an unreadable file is logged, skipped)."""
    sources: list[DependencySource] = []
    try:
        document = read_document(root / PYPROJECT) or {}
    except PyprojectError as exc:
        logger.warning("%s; its dependencies are not known", exc)
        document = {}
    sources += _pyproject_sources(document)
    for path in _requirement_files(root):
        names = _names(_requirement_lines(path))
        relative = path.relative_to(root).as_posix()
        sources.append(DependencySource(file=relative, kind="requirements", names=names))
    tool = document.get("tool")
    return DeclaredDependencies(
        sources=tuple(sources),
        has_project_table=isinstance(document.get("project"), dict),
        uses_poetry=isinstance(tool, dict) and isinstance(tool.get("poetry"), dict),
    )
