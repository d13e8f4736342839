"""Where each audited file wants to go in the standard layout, and why (before clashes).

Under the test root: test modules in `<category>/<area>/` (`performance/` is flat; no area
when nothing points at one), files whose every test copies another file's in
`quarantine/`, helpers in `fixtures/` (without a `test_` prefix); scripts posing as tests
in `scripts/` at the root. Application code is never moved: a non-test module outside the
test root (one that merely shares a folder with a test module) stays where it is. Files
already in their category's folder, conftest files and files that cannot be parsed stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from testing_lib.organizer.models import GENERAL, PlanAction, TestFileInfo
from testing_lib.organizer.modules import is_under, join
from testing_lib.organizer.pytest_settings import matches_python_files

LAYOUT_FOLDERS = ("unit", "integration", "performance", "fixtures", "utils", "quarantine")
QUARANTINE = "quarantine"
SCRIPTS = "scripts"


@dataclass
class Intent:
    """Where a file wants to go, what the move is, and the reason the plan gives."""

    destination: str
    action: PlanAction
    reason: str


def _strip_test_affix(name: str) -> str:
    stem = name.removesuffix(".py")
    if stem.startswith("test_") and len(stem) > 5:
        stem = stem[5:]
    elif stem.endswith("_test") and len(stem) > 5:
        stem = stem[:-5]
    return stem + ".py"


def _summary(info: TestFileInfo) -> str:
    relevant = [e for e in info.evidence if e.supports == info.category][:3]
    area = [e for e in info.evidence if e.supports == f"functionality:{info.functionality}"][:2]
    parts = list(dict.fromkeys(e.detail for e in relevant + area))
    return "; ".join(parts) if parts else "no evidence of real I/O or timing"


def _well_placed(info: TestFileInfo, test_root: str) -> bool:
    if not is_under(info.path, test_root) or not test_root:
        return False
    parts = info.path[len(test_root) + 1 :].split("/")
    if parts[0] != info.category:
        return False
    return info.category == "performance" or len(parts) >= 3 or info.functionality == GENERAL


def _in_layout(path: str, test_root: str) -> bool:
    return any(is_under(path, join(test_root, f)) for f in LAYOUT_FOLDERS)


def intent_for(info: TestFileInfo, test_root: str, python_files: list[str]) -> Intent:
    """Where `info`'s file belongs in the layout (its own path when it stays), and why."""
    path = info.path
    name = path.rpartition("/")[2]
    keep = Intent(path, "keep", "")
    if info.syntax_error:
        keep.reason = f"cannot be parsed ({info.syntax_error}): fix it, then organize again"
        return keep
    if info.kind == "conftest":
        keep.reason = "conftest.py stays with the folder it configures"
        return keep
    if info.kind in ("script", "helper") and not is_under(path, test_root):
        keep.reason = (
            f"application code beside a test module, outside {test_root}/: the organizer "
            "moves only tests, never the code they test"
            + (
                " (it runs code on import: move it out of the way by hand)"
                if info.kind == "script"
                else ""
            )
        )
        return keep
    if info.kind == "script":
        return Intent(
            join(SCRIPTS, _strip_test_affix(name)),
            "move",
            "a script, not a test (" + "; ".join(e.detail for e in info.evidence[:2]) + ")",
        )
    if info.kind == "helper":
        if info.tests:
            keep.reason = (
                "holds tests no pytest run collects (its name does not match "
                "python_files): rename it by hand once its tests pass"
            )
            return keep
        if _in_layout(path, test_root):
            keep.reason = "a helper already in the layout"
            return keep
        test_named = matches_python_files(path, python_files)
        why = (
            "named like a test but holds no tests (pytest imports it as one)"
            if test_named
            else "a helper module beside the tests"
        )
        return Intent(
            join(test_root, "fixtures", _strip_test_affix(name) if test_named else name),
            "move",
            f"{why}: shared test code lives in {join(test_root, 'fixtures')}/",
        )
    # a test module
    if info.is_duplicate and info.duplicate_of:
        if is_under(path, join(test_root, QUARANTINE)):
            keep.reason = f"already quarantined (copy of {info.duplicate_of})"
            return keep
        return Intent(
            join(test_root, QUARANTINE, name),
            "quarantine",
            f"every test is an exact copy of one in {info.duplicate_of}: quarantined "
            "(still collected) for a person to delete, never deleted by the organizer",
        )
    if _well_placed(info, test_root):
        keep.reason = f"already in {path.rpartition('/')[0]}/ ({info.category})"
        return keep
    area = (
        ""
        if info.category == "performance" or info.functionality == GENERAL
        else (info.functionality)
    )
    destination = join(test_root, info.category, area, name)
    return Intent(
        destination,
        "move",
        f"{info.category} test, {info.functionality} ({_summary(info)})",
    )
