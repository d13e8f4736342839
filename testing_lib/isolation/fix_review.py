"""The fixes a dry run showed, kept so that `--apply` writes exactly what was reviewed.

`remediate isolation --fix` saves its report, every pair's fix and the proven patches as
TARGET/.remediation/isolation/fixes/reviewed.json, with a digest of the target's content
and the options it ran with. `--fix --apply` with the same options on a target whose content
has not changed since applies those patches as they were shown, without validating and
proving everything again; anything else (another option, any changed file) runs afresh.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from testing_lib.codemods import CodemodPlan
from testing_lib.codemods.saved_files import SavedFile
from testing_lib.fingerprint import content_digest
from testing_lib.isolation.fix_models import FixReport
from testing_lib.isolation.history import history_dir
from testing_lib.isolation.order_models import IsolationReport

logger = logging.getLogger(__name__)

REVIEWED = "reviewed.json"


ReviewedFile = SavedFile  # one file of the reviewed patches


class ReviewedFixes(BaseModel):
    options: dict[str, Any]
    digest: str
    saved_at: datetime
    report: IsolationReport
    fixes: FixReport
    files: list[ReviewedFile]

    def plan(self, root: Path) -> CodemodPlan:
        return CodemodPlan(root=root, files=[f.file_plan(root) for f in self.files])


def reviewed_path(root: Path) -> Path:
    return history_dir(root) / "fixes" / REVIEWED


def save_reviewed(
    root: Path,
    options: dict[str, Any],
    report: IsolationReport,
    fixes: FixReport,
    plan: CodemodPlan,
) -> Path:
    """Keep what a dry run showed (replacing the previous dry run's)."""
    reviewed = ReviewedFixes(
        options=options,
        digest=content_digest(root),
        saved_at=datetime.now(UTC),
        report=report,
        fixes=fixes,
        files=[ReviewedFile.of(change) for change in plan.changes],
    )
    path = reviewed_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(reviewed.model_dump_json(), encoding="utf-8")
    partial.replace(path)
    return path


def load_reviewed(root: Path, options: dict[str, Any]) -> ReviewedFixes | None:
    """The last dry run's fixes, if it ran with `options` on the target as it is now."""
    path = reviewed_path(root)
    if not path.is_file():
        return None
    try:
        reviewed = ReviewedFixes.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        logger.info("ignoring the saved dry run %s: %s", path, exc)
        return None
    if reviewed.options != options:
        return None
    if reviewed.digest != content_digest(root):
        logger.info("the target changed since the dry run of %s: proving afresh", path)
        return None
    return reviewed
