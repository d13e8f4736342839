"""The audit: every module pytest would collect under a root, plus conftests and helpers.

Reads files and parses them (in worker processes when there are many); never imports
them. The optional interpreter is asked which external top-level modules the test files
import that it cannot find (one subprocess), then runs `pytest --collect-only` in the
target: the problems that break collection are the files pytest really fails to collect.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from testing_lib.organizer.analysis import FileAnalysis, analyze_source
from testing_lib.organizer.classify import classify_test_module, script_evidence
from testing_lib.organizer.collection_results import CollectedTest
from testing_lib.organizer.collection_truth import observe_collection, reconcile
from testing_lib.organizer.discovery import Discovered, discover, root_package_name
from testing_lib.organizer.duplicates import find_duplicates
from testing_lib.organizer.installed_probe import external_names, not_installed
from testing_lib.organizer.models import (
    AuditReport,
    Category,
    Evidence,
    FileKind,
    Problem,
    PytestSettings,
    TestFileInfo,
)
from testing_lib.organizer.modules import Edge, ModuleIndex
from testing_lib.organizer.package_bounds import PackageInit, package_inits
from testing_lib.organizer.problems import (
    basename_clashes,
    import_problems,
    rule_problems,
    script_as_test,
    sort_problems,
    syntax_problem,
    uncollected_file,
)
from testing_lib.organizer.pytest_settings import (
    matches_prefix_or_glob,
    read_pytest_settings,
)
from testing_lib.organizer.scopes import FixtureScopes

logger = logging.getLogger(__name__)

PARALLEL_MIN_FILES = 400  # below this, worker start-up costs more than it saves


@dataclass
class Audit:
    """The audit report plus what the planner needs to reason about moves."""

    root: Path
    settings: PytestSettings
    discovered: Discovered
    analyses: dict[str, FileAnalysis]
    index: ModuleIndex
    edges: dict[str, list[Edge]]
    kinds: dict[str, FileKind]
    scopes: FixtureScopes
    report: AuditReport
    importers: dict[str, list[Edge]] = field(default_factory=dict)
    # package folder -> its __init__.py, when that re-exports modules or runs code
    inits: dict[str, PackageInit] = field(default_factory=dict)


def _analyze_chunk(
    root: str, paths: Sequence[str], functions: tuple[str, ...], classes: tuple[str, ...]
) -> list[FileAnalysis]:
    results = []
    for path in paths:
        source = Path(root, path).read_bytes()
        results.append(
            analyze_source(path, source, function_patterns=functions, class_patterns=classes)
        )
    return results


def analyze_files(
    root: Path,
    paths: Sequence[str],
    settings: PytestSettings,
    *,
    workers: int | None = None,
) -> dict[str, FileAnalysis]:
    """Analyse `paths` (relative to root).

    `workers` > 1 spreads files over that many processes (only for 400 files or more).
    The default is one: measured on a 2-core machine shared with other jobs, a second
    process lost more to start-up and to shipping results back than it gained.
    """
    functions = tuple(settings.python_functions)
    classes = tuple(settings.python_classes)
    count = workers if workers is not None else 1
    if count <= 1 or len(paths) < PARALLEL_MIN_FILES:
        return {a.path: a for a in _analyze_chunk(str(root), paths, functions, classes)}
    size = max(32, len(paths) // (count * 8))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    analyses: dict[str, FileAnalysis] = {}
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = [
            pool.submit(_analyze_chunk, str(root), chunk, functions, classes) for chunk in chunks
        ]
        for future in futures:
            for analysis in future.result():
                analyses[analysis.path] = analysis
    return analyses


def _analyze_extra(root: Path, path: str, settings: PytestSettings) -> FileAnalysis | None:
    """Analyse a module outside the audited set (a test imported from application code)."""
    try:
        source = (root / path).read_bytes()
    except OSError:
        return None
    return analyze_source(
        path,
        source,
        function_patterns=tuple(settings.python_functions),
        class_patterns=tuple(settings.python_classes),
    )


def _imported_tests(
    root: Path,
    path: str,
    analysis: FileAnalysis,
    analyses: dict[str, FileAnalysis],
    index: ModuleIndex,
    settings: PytestSettings,
) -> tuple[list[CollectedTest], list[str]]:
    """Tests a module collects because it imports them from another module."""
    found: list[CollectedTest] = []
    notes: list[str] = []
    for alias, (position, line, original) in analysis.imported_names.items():
        is_function = matches_prefix_or_glob(alias, settings.python_functions)
        is_class = matches_prefix_or_glob(alias, settings.python_classes)
        if not (is_function or is_class):
            continue
        ref = analysis.imports[position]
        source = None
        for edge in index.edges(path, ref):
            if edge.name is None:
                source = analyses.get(edge.target) or _analyze_extra(root, edge.target, settings)
        if source is None:
            if is_function:
                found.append(CollectedTest(alias, line, 1, False, (), None, "imported"))
                notes.append(f"{alias} is imported from outside the audited files (counted as 1)")
            else:
                notes.append(f"class {alias} is imported from outside the audited files")
            continue
        for test in source.tests:
            head, _, rest = test.qualname.partition("::")
            if head == original:
                qualname = alias + (f"::{rest}" if rest else "")
                found.append(
                    CollectedTest(
                        qualname, line, test.multiplier, test.exact, test.fixtures, None, "imported"
                    )
                )
    return found, notes


def run_audit(
    root: Path,
    *,
    python: str | None = None,
    workers: int | None = None,
    with_duplicates: bool = True,
    observe: bool = True,
) -> Audit:
    """Audit every test module, conftest and helper under `root`.

    `python`: the target's interpreter, asked which external modules it cannot import
    and, with `observe`, run as `pytest --collect-only` so that the problems breaking
    collection are the files pytest really fails (see `collection_truth`); None skips
    both (the problems are static guesses then).
    """
    root = Path(root).resolve()
    settings = read_pytest_settings(root)
    found = discover(root, settings)
    audited = found.audited
    analyses = analyze_files(root, audited, settings, workers=workers)
    index = ModuleIndex(
        found.python_files,
        pythonpath=settings.pythonpath,
        root_package=root_package_name(root, settings),
        import_mode=settings.import_mode,
    )

    edges: dict[str, list[Edge]] = {}
    importers: dict[str, list[Edge]] = defaultdict(list)
    for path in audited:
        analysis = analyses[path]
        file_edges = [e for ref in analysis.imports for e in index.edges(path, ref)]
        edges[path] = file_edges
        for edge in file_edges:
            if edge.target != path:
                importers[edge.target].append(edge)

    test_modules = set(found.test_modules)
    conftests = set(found.conftests)
    kinds: dict[str, FileKind] = {}
    imported_tests: dict[str, list[CollectedTest]] = {}
    notes: dict[str, list[str]] = {}
    for path in audited:
        analysis = analyses[path]
        extra, extra_notes = (
            _imported_tests(root, path, analysis, analyses, index, settings)
            if path in test_modules
            else ([], [])
        )
        imported_tests[path] = extra
        notes[path] = extra_notes
        runs_code = analysis.has_main_block or bool(analysis.top_level_code)
        if path in conftests:
            kinds[path] = "conftest"
        elif path in test_modules and (analysis.tests or extra or analysis.syntax_error):
            kinds[path] = "test"
        elif runs_code and not importers.get(path) and not analysis.fixtures:
            kinds[path] = "script"
        else:
            kinds[path] = "helper"

    scopes = FixtureScopes({p: analyses[p] for p in found.conftests})
    duplicates = (
        find_duplicates({p: analyses[p].tests for p in audited if kinds[p] == "test"})
        if with_duplicates
        else None
    )
    external, namespaces, elsewhere = external_names(analyses, index)
    missing_from = not_installed(python, external | namespaces | elsewhere) if python else {}
    # A folder without __init__.py does not hide an installed package of the same name, and
    # a package of the tree that is off the tests' path (src/pkg) imports when installed
    # (`pip install -e .`); without an interpreter to ask, give folders without __init__.py
    # the benefit of the doubt.
    installed = (
        {n for n in namespaces | elsewhere if n not in missing_from} if python else namespaces
    )
    missing_from = {n: p for n, p in missing_from.items() if n in external}

    files: list[TestFileInfo] = []
    problems: list[Problem] = []
    clash_candidates = [
        p for p in audited if kinds[p] == "test" and p in found.in_scope and p in test_modules
    ]
    problems += basename_clashes(clash_candidates, index)
    for path in audited:
        analysis = analyses[path]
        kind = kinds[path]
        syntax = syntax_problem(analysis)
        if syntax is not None:
            problems.append(syntax)
        problems += import_problems(
            analysis, index, not_installed=missing_from, installed=installed
        )
        if path in test_modules:
            problems += rule_problems(analysis)
        chain = index.ancestor_conftests(path)
        count = 0
        exact = True
        count_notes = list(analysis.count_notes) + notes[path]
        fixtures_used: set[str] = set()
        if kind in ("test", "helper") and (analysis.tests or imported_tests[path]):
            for test in [*analysis.tests, *imported_tests[path]]:
                factor, factor_exact = scopes.multiplier(analysis, chain, test.fixtures)
                count += test.multiplier * factor
                exact = exact and test.exact and factor_exact
                fixtures_used.update(test.fixtures)
            exact = exact and not any(
                "star import" in n or "may skip itself" in n for n in count_notes
            )
        collected = path in found.in_scope and path in test_modules
        if kind == "helper" and analysis.tests:
            problems.append(
                uncollected_file(
                    path,
                    analysis,
                    f"its name does not match python_files {settings.python_files}",
                )
            )
        elif kind == "test" and not collected and analysis.tests:
            problems.append(
                uncollected_file(path, analysis, f"it lies outside testpaths {settings.testpaths}")
            )
        if kind == "script" and path in test_modules:
            problems.append(script_as_test(path, analysis))

        category: Category
        functionality = "general"
        evidence: list[Evidence]
        if kind == "test":
            # Application modules say what a test is about; shared test code does not.
            internal = [
                index.module_name(e.target) for e in edges[path] if e.target not in analyses
            ]
            result = classify_test_module(
                path,
                analysis,
                fixtures_used=fixtures_used,
                internal_imports=internal,
                test_root=found.test_root,
            )
            category, functionality, evidence = (
                result.category,
                result.functionality,
                result.evidence,
            )
        elif kind == "script":
            category, evidence = "obsolete", script_evidence(analysis)
        else:
            category = "fixtures"
            detail = "a conftest.py" if kind == "conftest" else "a module without tests"
            evidence = [Evidence(signal="structure", detail=detail, supports="fixtures", weight=3)]
            if analysis.fixtures:
                evidence.append(
                    Evidence(
                        signal="structure",
                        detail=f"defines {len(analysis.fixtures)} fixture(s)",
                        supports="fixtures",
                    )
                )
        duplicate_of = duplicates.duplicate_of.get(path) if duplicates else None
        dependencies = sorted(
            {
                ("." * ref.level + ref.module) if ref.module or ref.level else ref.module
                for ref in analysis.imports
            }
            - {""}
        )
        files.append(
            TestFileInfo(
                path=path,
                kind=kind,
                category=category,
                functionality=functionality,
                dependencies=dependencies,
                test_count=count if kind in ("test", "helper") else 0,
                test_count_exact=exact,
                count_notes=sorted(set(count_notes)),
                tests=[t.qualname for t in [*analysis.tests, *imported_tests[path]]],
                is_duplicate=duplicate_of is not None,
                duplicate_of=duplicate_of,
                module_name=index.module_name(path),
                collected_by_pytest=collected,
                evidence=evidence,
                syntax_error=(
                    f"line {analysis.syntax_error[0]}: {analysis.syntax_error[1]}"
                    if analysis.syntax_error
                    else None
                ),
                sha256=analysis.sha256,
            )
        )
    observed = observe_collection(root, python) if python and observe else None
    if observed is not None:
        imported_by_pytest = found.in_scope & {*found.test_modules, *found.conftests}
        problems = reconcile(problems, observed, collected=imported_by_pytest)
    report = AuditReport(
        root=str(root),
        settings=settings,
        files=files,
        problems=sort_problems(problems),
        duplicates=duplicates.pairs if duplicates else [],
    )
    logger.info(
        "Audited %d files under %s: %d tests, %d problems (%d break collection)",
        len(files),
        root,
        report.total_tests,
        len(report.problems),
        len(report.breaking_problems),
    )
    return Audit(
        root=root,
        settings=settings,
        discovered=found,
        analyses=analyses,
        index=index,
        edges=edges,
        kinds=kinds,
        scopes=scopes,
        report=report,
        importers=dict(importers),
        inits=package_inits(root, found.python_files, index, settings),
    )
