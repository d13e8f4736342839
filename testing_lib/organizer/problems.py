"""Problems of a suite, each at a file and line, the ones that break collection first.

Breaking collection: syntax errors, two test modules pytest imports under one name (same
basename outside packages: "import file mismatch"), module-level imports of modules that
do not exist in the target (or are not installed in its interpreter), relative imports in
a folder without `__init__.py`, and tests containing `yield`. Losing tests silently:
`Test*` classes with `__init__`, test-looking functions and classes pytest skips, tests
shadowed by a later definition, test files nothing collects, scripts named like tests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Mapping

from testing_lib.organizer.analysis import FileAnalysis
from testing_lib.organizer.models import Problem, ProblemKind
from testing_lib.organizer.modules import ModuleIndex


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (not p.breaks_collection, p.path, p.line, p.kind))


def syntax_problem(analysis: FileAnalysis) -> Problem | None:
    if analysis.syntax_error is None:
        return None
    line, message = analysis.syntax_error
    return Problem(
        kind=ProblemKind.SYNTAX_ERROR,
        path=analysis.path,
        line=line,
        message=f"cannot be parsed: {message}; fix the syntax so pytest can import it",
        breaks_collection=True,
    )


def rule_problems(analysis: FileAnalysis) -> list[Problem]:
    return [
        Problem(
            kind=ProblemKind(p.kind),
            path=analysis.path,
            line=p.line,
            message=p.message,
            breaks_collection=p.breaks_collection,
        )
        for p in analysis.problems
    ]


def basename_clashes(modules: Iterable[str], index: ModuleIndex) -> list[Problem]:
    """Test modules imported under one module name; the first (in pytest's order) wins."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in sorted(modules):
        by_name[index.module_name(path)].append(path)
    problems = []
    for name, paths in sorted(by_name.items()):
        if len(paths) < 2:
            continue
        first = paths[0]
        for other in paths[1:]:
            problems.append(
                Problem(
                    kind=ProblemKind.BASENAME_CLASH,
                    path=other,
                    line=1,
                    message=(
                        f"imported as module '{name}' like {first} (no __init__.py makes them "
                        "distinct): pytest fails it with 'import file mismatch'; give it a "
                        "unique name or put both folders in packages"
                    ),
                    breaks_collection=True,
                )
            )
    return problems


def import_problems(
    analysis: FileAnalysis,
    index: ModuleIndex,
    *,
    not_installed: Mapping[str, str],
    installed: Container[str],
) -> list[Problem]:
    """Missing modules and relative imports without a package, at their lines.

    `not_installed` maps external top-level names the target's interpreter cannot import
    to that interpreter (empty when it was not asked); `installed` holds top-level names it
    imports from elsewhere, which folders of the tree do not shadow.
    """
    problems = []
    path = analysis.path
    for ref in analysis.imports:
        if ref.level and index.package_of(path) is None:
            dots = "." * ref.level
            problems.append(
                Problem(
                    kind=ProblemKind.RELATIVE_IMPORT_WITHOUT_PACKAGE,
                    path=path,
                    line=ref.line,
                    message=(
                        f"'from {dots}{ref.module} import ...' in a folder without __init__.py "
                        "fails with 'attempted relative import with no known parent package'; "
                        "import by module name (the plan rewrites it when it can)"
                    ),
                    breaks_collection=ref.top_level,
                )
            )
            continue
        reason = index.missing(path, ref, installed=installed)
        if reason is None and ref.level == 0:
            first = ref.module.split(".")[0]
            if first in not_installed:
                reason = (
                    f"module '{first}' is not installed in {not_installed[first]}: install it "
                    "there or remove the import"
                )
        if reason is not None:
            problems.append(
                Problem(
                    kind=ProblemKind.MISSING_MODULE,
                    path=path,
                    line=ref.line,
                    message=reason
                    + ("" if ref.top_level else " (inside a function: fails only that test)"),
                    breaks_collection=ref.top_level,
                )
            )
    return problems


def uncollected_file(path: str, analysis: FileAnalysis, why: str) -> Problem:
    line = min((t.line for t in analysis.tests), default=1)
    return Problem(
        kind=ProblemKind.UNCOLLECTED_FILE,
        path=path,
        line=line,
        message=f"holds {len(analysis.tests)} test(s) that no pytest run collects: {why}",
    )


def script_as_test(path: str, analysis: FileAnalysis) -> Problem:
    line = analysis.top_level_code[0] if analysis.top_level_code else 1
    return Problem(
        kind=ProblemKind.SCRIPT_AS_TEST,
        path=path,
        line=line,
        message=(
            "named like a test but defines no tests and runs code (a script): pytest imports "
            "it at every collection; the plan moves it to scripts/"
        ),
    )
