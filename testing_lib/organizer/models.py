"""What the organizer reports: audited files, duplicates, problems, the plan, the outcome.

Every path is relative to the audited root and written with forward slashes, so a report
reads the same on every machine and can be diffed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from testing_lib.results import CollectionError

Category = Literal["unit", "integration", "performance", "fixtures", "obsolete"]
CATEGORIES: tuple[Category, ...] = ("unit", "integration", "performance", "fixtures", "obsolete")

FileKind = Literal["test", "conftest", "helper", "script"]
"""test: a module pytest collects (by name); conftest; helper: any other module in a test
folder (including modules named like tests that hold no tests); script: no tests, runs code
at import or has a `__main__` block, imported by nothing."""

GENERAL = "general"  # functionality when no evidence points at an area


def _now() -> datetime:
    return datetime.now(UTC)


Signal = Literal[
    "import", "fixture", "marker", "call", "name", "docstring", "structure", "location"
]


class Evidence(BaseModel):
    """One observation behind a file's category or functionality."""

    signal: Signal
    detail: str
    supports: str  # a category ("integration") or "functionality:<area>"
    weight: int = 1
    line: int | None = None


class TestFileInfo(BaseModel):
    """One audited file: its kind, category, tests, and the evidence that decided it.

    `test_count` is the number of items `pytest --collect-only` lists for the module:
    module-level and `Test*`-class test functions (async included, inherited and imported
    ones too), each parametrized case counted separately (stacked `parametrize` multiply;
    parametrized fixtures multiply the tests that use them). Classes with `__init__` or
    `__new__`, `__test__ = False`, and `@pytest.fixture` functions named `test_*` count 0.
    `test_count_exact` is False when part of the count cannot be known without importing
    the module (argvalues computed at run time, `pytest_generate_tests`, unknown base
    classes, star imports); the reasons are in `count_notes`.
    """

    __test__ = False

    path: str
    kind: FileKind
    category: Category
    functionality: str = GENERAL
    dependencies: list[str] = Field(default_factory=list)  # imported module names, sorted
    test_count: int = 0
    test_count_exact: bool = True
    count_notes: list[str] = Field(default_factory=list)
    tests: list[str] = Field(default_factory=list)  # "test_x", "TestA::test_y" (not expanded)
    is_duplicate: bool = False
    duplicate_of: str | None = None
    module_name: str | None = None  # the name pytest imports it under (prepend import mode)
    collected_by_pytest: bool = True  # False: outside testpaths or not matching python_files
    evidence: list[Evidence] = Field(default_factory=list)
    syntax_error: str | None = None
    sha256: str = ""


class ProblemKind(StrEnum):
    SYNTAX_ERROR = "syntax_error"
    BASENAME_CLASH = "basename_clash"
    MISSING_MODULE = "missing_module"
    RELATIVE_IMPORT_WITHOUT_PACKAGE = "relative_import_without_package"
    GENERATOR_TEST = "generator_test"
    TEST_CLASS_WITH_INIT = "test_class_with_init"
    UNCOLLECTED_TEST = "uncollected_test"
    UNCOLLECTED_FILE = "uncollected_file"
    SHADOWED_TEST = "shadowed_test"
    SCRIPT_AS_TEST = "script_as_test"
    COLLECTION_ERROR = "collection_error"  # pytest's own collection failed the file


class Problem(BaseModel):
    """Something wrong with the suite, at a file and line; `breaks_collection` ones first."""

    kind: ProblemKind
    path: str
    line: int
    message: str
    breaks_collection: bool = False


class DuplicatePair(BaseModel):
    """Two files sharing duplicated tests (a == b: copies inside one file).

    `tests` pairs a test of `a` with its duplicate in `b` ("TestA::test_x"). `similarity`
    is the Dice share of both files' tests covered by the pairs, each pair weighted by its
    own similarity (1.0 for an exact copy, the share of equal names and literals for a near
    one): two identical files score 1.0. `share_a`/`share_b`: the share of each file's
    tests that have a duplicate in the other.
    """

    a: str
    b: str
    similarity: float
    kind: Literal["exact", "near"]
    share_a: float
    share_b: float
    tests: list[tuple[str, str]] = Field(default_factory=list)


class PytestSettings(BaseModel):
    """The collection settings pytest would use for the target (defaults when unset)."""

    __test__ = False

    inifile: str | None = None
    python_files: list[str] = Field(default_factory=lambda: ["test_*.py", "*_test.py"])
    python_classes: list[str] = Field(default_factory=lambda: ["Test"])
    python_functions: list[str] = Field(default_factory=lambda: ["test"])
    testpaths: list[str] = Field(default_factory=list)
    pythonpath: list[str] = Field(default_factory=list)
    norecursedirs: list[str] = Field(
        default_factory=lambda: [
            "*.egg",
            ".*",
            "_darcs",
            "build",
            "CVS",
            "dist",
            "node_modules",
            "venv",
            "{arch}",
        ]
    )
    import_mode: str = "prepend"


class AuditReport(BaseModel):
    root: str
    settings: PytestSettings
    files: list[TestFileInfo] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    duplicates: list[DuplicatePair] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=_now)

    @property
    def total_tests(self) -> int:
        return sum(f.test_count for f in self.files)

    @property
    def breaking_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.breaks_collection]

    def file(self, path: str) -> TestFileInfo:
        for info in self.files:
            if info.path == path:
                return info
        raise KeyError(path)


PlanAction = Literal["move", "keep", "quarantine", "lift_conftest", "rewrite"]


class ImportRewrite(BaseModel):
    """One statement (or string) rewritten because the module it names moves."""

    line: int
    before: str
    after: str


class ImportChange(BaseModel):
    """The instruction behind a rewrite: the import at `line` naming `module` (with `level`
    dots; `name` when the imported name is the module) names `new_module` instead."""

    line: int
    level: int
    module: str
    name: str | None = None
    new_level: int = 0
    new_module: str


class PlanEntry(BaseModel):
    """What happens to one file. `keep` and `rewrite` leave it where it is.

    `rewrites` shows the text that changes; `import_changes`/`string_changes` are the
    instructions `apply` carries out (so a plan saved as JSON can be applied as made).
    """

    source: str
    destination: str
    action: PlanAction
    reason: str
    sha256: str = ""  # the content the plan was made from; apply refuses a changed file
    rewrites: list[ImportRewrite] = Field(default_factory=list)
    import_changes: list[ImportChange] = Field(default_factory=list)
    string_changes: dict[str, str] = Field(default_factory=dict)

    @property
    def moves(self) -> bool:
        return self.source != self.destination


class PlanConflict(BaseModel):
    """Two or more files wanted one path (or one module name); how it was resolved."""

    destination: str
    sources: list[str]
    resolution: str


class PlanGroup(BaseModel):
    """Files the plan treats alike (`move -> tests/unit/`, `stays: ...`), in path order."""

    label: str
    moves: bool
    files: list[str] = Field(default_factory=list)


class OrganizationPlan(BaseModel):
    root: str
    test_root: str
    entries: list[PlanEntry] = Field(default_factory=list)
    conflicts: list[PlanConflict] = Field(default_factory=list)
    create_dirs: list[str] = Field(default_factory=list)
    create_files: list[str] = Field(default_factory=list)  # empty __init__.py in new packages
    extra_collect: list[str] = Field(default_factory=list)  # moved files pytest skips today
    created_at: datetime = Field(default_factory=_now)

    def mapping(self) -> dict[str, str]:
        """source -> destination for every file that moves (the plan as a plain mapping)."""
        return {e.source: e.destination for e in self.entries if e.moves}

    @property
    def moves(self) -> list[PlanEntry]:
        return [e for e in self.entries if e.moves]

    @property
    def changes_anything(self) -> bool:
        return bool(self.moves or self.create_files or any(e.rewrites for e in self.entries))


class ExecutionResult(BaseModel):
    """What `execute_reorganization` did; `applied` False for a dry run."""

    applied: bool
    rolled_back: bool = False
    collected_before: int | None = None
    collected_after: int | None = None
    errors_before: int | None = None
    errors_after: int | None = None
    lost_tests: list[str] = Field(default_factory=list)  # original node ids
    broken_tests: list[str] = Field(default_factory=list)  # would miss a fixture at setup
    new_errors: list[CollectionError] = Field(default_factory=list)
    journal: str | None = None  # relative to the root
    message: str = ""


class UndoResult(BaseModel):
    journal: str
    restored: list[str] = Field(default_factory=list)
    verified: bool
    leftovers: list[str] = Field(default_factory=list)  # directories not empty, left in place
    message: str = ""


class OrganizeReport(BaseModel):
    """The CLI's JSON document (`remediate organize --json PATH`)."""

    root: str
    files: list[TestFileInfo]
    duplicates: list[DuplicatePair]
    problems: list[Problem]
    plan: list[PlanEntry]
    groups: list[PlanGroup] = Field(default_factory=list)  # the plan by reason
    conflicts: list[PlanConflict] = Field(default_factory=list)
    applied: bool = False
    collected_before: int | None = None
    collected_after: int | None = None
    errors_before: int | None = None
    errors_after: int | None = None
    rolled_back: bool | None = None
    lost_tests: list[str] = Field(default_factory=list)
    broken_tests: list[str] = Field(default_factory=list)
    new_errors: list[CollectionError] = Field(default_factory=list)
    journal: str | None = None
