"""What pytest itself fails to collect in a target, file by file, and the module that fails.

Static import analysis guesses; pytest knows. `observe_collection` runs `python -m pytest
--collect-only` in the target with its interpreter (the runner's `collect_only`, as the
apply's before/after check does) and reads each collection error: the file pytest could
not collect, the line in it where the failure surfaced, the module that really failed (the
deepest frame inside the root: `tests/helpers.py` when a test imports a helper whose own
import fails) and the exception.

`reconcile` then makes the audit's problems agree with pytest: a file pytest collects
never "breaks collection" (the static guess is dropped), a problem in a file pytest does
not import itself (a helper) is kept as a warning, and every file pytest fails to collect
has a breaking problem: the static one when it names the same failure, else one with
pytest's own error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from testing_lib.exceptions import RunnerError
from testing_lib.organizer.models import Problem, ProblemKind
from testing_lib.runner.collect import collect_only

logger = logging.getLogger(__name__)

COLLECT_TIMEOUT_S = 600.0

_FRAME = re.compile(r"^(?P<file>[^\s:<][^:]*?\.py):(?P<line>\d+): in ")
_SYNTAX_FRAME = re.compile(r'^E\s+File "(?P<file>[^"]+\.py)", line (?P<line>\d+)')
_CONFTEST = re.compile(r"conftest '(?P<file>[^']+)'")

# Static problem kinds, and the words of pytest's error that confirm each of them.
_CONFIRMED_BY: dict[ProblemKind, tuple[str, ...]] = {
    ProblemKind.SYNTAX_ERROR: ("SyntaxError", "IndentationError", "TabError"),
    ProblemKind.BASENAME_CLASH: ("import file mismatch",),
    ProblemKind.MISSING_MODULE: ("ModuleNotFoundError", "ImportError"),
    ProblemKind.RELATIVE_IMPORT_WITHOUT_PACKAGE: ("relative import",),
    ProblemKind.GENERATOR_TEST: ("'yield' keyword",),
}


@dataclass(frozen=True)
class FailedFile:
    """One file pytest could not collect."""

    path: str  # relative to the root
    line: int  # where the failure surfaced in it (1 when pytest's text does not say)
    culprit: str  # the file whose code raised (the file itself, or a module it imports)
    culprit_line: int
    error: str  # "ModuleNotFoundError: No module named 'x'"
    text: str  # pytest's whole report


@dataclass(frozen=True)
class ObservedCollection:
    """pytest's collection of a target: whether it ran, and the files it failed."""

    ran: bool
    failed: dict[str, FailedFile] = field(default_factory=dict)
    exit_code: int = 0
    detail: str = ""  # the last error line when collection did not run
    blocker: str | None = None  # the conftest that stopped it, when pytest names one


def _inside(root: Path, folders: Iterable[Path], file: str) -> str | None:
    """`file` (absolute, or relative to one of `folders`) relative to root, if inside."""
    candidates = [Path(file)] if Path(file).is_absolute() else [f / file for f in folders]
    for candidate in candidates:
        try:
            relative = candidate.resolve().relative_to(root)
        except ValueError:
            continue
        if candidate.exists():
            return relative.as_posix()
    return None


def _error_line(text: str) -> str:
    """The exception line of a pytest report (its last `E` line), else its first line."""
    lines = [line for line in text.splitlines() if line.strip()]
    raised = [line[1:].strip() for line in lines if line.startswith("E ")]
    for line in reversed(raised):
        if not line.startswith(("File ", "^")):
            return line
    return lines[0].strip() if lines else "pytest gave no reason"


def parse_failure(root: Path, rootdir: Path | None, path: str, text: str) -> FailedFile:
    """Read pytest's report of a file it could not collect."""
    folders = [root, *([rootdir] if rootdir is not None else [])]
    line = 1
    culprit, culprit_line = path, 1
    found_own = False
    for raw in text.splitlines():
        match = _FRAME.match(raw) or _SYNTAX_FRAME.match(raw)
        if match is None:
            continue
        file = _inside(root, folders, match.group("file"))
        if file is None:
            continue
        number = int(match.group("line"))
        if file == path and not found_own:
            line, found_own = number, True
        culprit, culprit_line = file, number
    error = _error_line(text).replace(f"{root}/", "")  # paths relative to the root
    return FailedFile(path, line, culprit, culprit_line, error, text)


def observe_collection(
    root: Path, python: str, *, timeout_s: float = COLLECT_TIMEOUT_S
) -> ObservedCollection | None:
    """pytest's own collection of `root` (None when pytest cannot be started there)."""
    try:
        collection = collect_only(cwd=root, python=python, timeout_s=timeout_s)
    except RunnerError as exc:
        logger.warning("Cannot ask pytest what it collects in %s: %s", root, exc)
        return None
    if not collection.ran:
        tail = collection.output_tail
        match = _CONFTEST.search(tail)
        return ObservedCollection(
            ran=False,
            exit_code=collection.exit_code,
            detail=_error_line(tail).replace(f"{root}/", ""),
            blocker=_inside(root, [root], match.group("file")) if match else None,
        )
    rootdir = Path(collection.rootdir) if collection.rootdir else None
    failed: dict[str, FailedFile] = {}
    for error in collection.errors:
        path = collection.relative_to(root, error.nodeid).partition("::")[0]
        if (root / path).is_dir() and (root / path / "conftest.py").is_file():
            path = f"{path}/conftest.py" if path not in ("", ".") else "conftest.py"
        failed.setdefault(path, parse_failure(root, rootdir, path, error.message))
    return ObservedCollection(ran=True, failed=failed, exit_code=collection.exit_code)


def _confirms(problem: Problem, failure: FailedFile) -> bool:
    words = _CONFIRMED_BY.get(problem.kind, ())
    return any(word in failure.text for word in words)


def failure_problem(failure: FailedFile) -> Problem:
    where = (
        ""
        if failure.culprit == failure.path
        else f" (raised in {failure.culprit} line {failure.culprit_line}, which it imports)"
    )
    return Problem(
        kind=ProblemKind.COLLECTION_ERROR,
        path=failure.path,
        line=failure.line,
        message=f"pytest cannot collect it: {failure.error}{where}",
        breaks_collection=True,
    )


def _not_running(observed: ObservedCollection) -> Problem:
    return Problem(
        kind=ProblemKind.COLLECTION_ERROR,
        path=observed.blocker or ".",
        line=1,
        message=(
            f"pytest cannot collect the suite at all (exit {observed.exit_code}): {observed.detail}"
        ),
        breaks_collection=True,
    )


def reconcile(
    problems: list[Problem],
    observed: ObservedCollection,
    *,
    collected: Container[str],
) -> list[Problem]:
    """`problems` made to agree with what pytest collects (see the module docstring).

    `collected`: the files pytest imports itself (test modules it reaches, conftests).
    """
    if not observed.ran:  # nothing to compare with: the static problems stay
        if any(p.breaks_collection and p.path == observed.blocker for p in problems):
            return problems
        return [*problems, _not_running(observed)]
    kept: list[Problem] = []
    confirmed: set[str] = set()
    for problem in problems:
        if not problem.breaks_collection:
            kept.append(problem)
            continue
        failure = observed.failed.get(problem.path)
        if failure is not None and _confirms(problem, failure):
            kept.append(problem)
            confirmed.add(problem.path)
        elif failure is None and problem.path in collected:
            logger.debug("pytest collects %s: dropped %s", problem.path, problem.message)
        else:
            note = (
                "pytest fails it for another reason"
                if failure is not None
                else "pytest does not import this file itself: only modules importing it fail"
            )
            kept.append(
                problem.model_copy(
                    update={"breaks_collection": False, "message": f"{problem.message} ({note})"}
                )
            )
    for path, failure in sorted(observed.failed.items()):
        if path not in confirmed:
            kept.append(failure_problem(failure))
    return kept
