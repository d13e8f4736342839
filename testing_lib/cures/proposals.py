"""Saved proposals: the proven cures of one `remediate fix` (or of a flow run), kept under
TARGET/.remediation/cures/<id>.json so a person can apply them later, all or some.

A proposal is applied only to the exact content it was proven on: the target's content
digest (every file but caches, virtualenvs and the engine's own state) must still be what
it was when the proof started; else the apply refuses, naming the command that proves the
cures again. Cures of one file build on each other: a cure whose file an earlier cure of
the proposal changed is applied only with that one.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from testing_lib.codemods import ApplyReport, CodemodPlan, FilePlan, apply_plan
from testing_lib.codemods.saved_files import SavedFile
from testing_lib.cures.cure_models import Change, CureReport
from testing_lib.cures.proving import file_plan
from testing_lib.cures.session import CODEMOD, CurePlan
from testing_lib.fingerprint import content_digest
from testing_lib.storage import STATE_DIR, new_run_id
from testing_lib.target_writes import replace_bytes


class ProposalError(Exception):
    """A proposal that cannot be read or applied; the message names the fix."""


class SavedCure(BaseModel):
    number: int  # 1-based, as the report shows the groups
    kind: str
    label: str
    changes: list[SavedFile]


class Proposal(BaseModel):
    id: str
    created_at: datetime
    root: str
    phases: list[str]
    digest: str
    report: CureReport
    cures: list[SavedCure] = Field(default_factory=list)  # the applicable ones, in order

    def apply_command(self) -> str:
        return f"remediate fix apply {self.root} {self.id}"


def proposals_dir(root: Path) -> Path:
    return root / STATE_DIR / "cures"


def save_proposal(plan: CurePlan, proposal_id: str | None = None) -> Proposal:
    """Write the plan's applicable cures as a proposal of the target (atomically)."""
    cures = [
        SavedCure(
            number=index + 1,
            kind=plan.report.groups[index].cure or "",
            label=plan.report.groups[index].label,
            changes=[SavedFile.of(file_plan(plan.root, change)) for change in changes],
        )
        for index, changes in sorted(plan.by_group.items())
    ]
    proposal = Proposal(
        id=proposal_id or new_run_id(),
        created_at=datetime.now(UTC),
        root=str(plan.root),
        phases=plan.report.phases,
        digest=plan.digest,
        report=plan.report,
        cures=cures,
    )
    path = proposals_dir(plan.root) / f"{proposal.id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_bytes(path, proposal.model_dump_json(indent=2).encode("utf-8"))
    return proposal


def load_proposal(root: Path, proposal_id: str | None = None) -> Proposal:
    """The proposal `proposal_id` of the target (the latest when None)."""
    folder = proposals_dir(root)
    saved = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if proposal_id is None:
        if not saved:
            raise ProposalError(f"no proposal saved in {folder}: run `remediate fix {root}` first")
        path = saved[-1]
    else:
        path = folder / f"{proposal_id}.json"
        if not path.is_file():
            known = ", ".join(p.stem for p in saved) or "none"
            raise ProposalError(f"no proposal {proposal_id!r} in {folder} (saved: {known})")
    try:
        return Proposal.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProposalError(f"proposal {path} is unreadable: {exc}") from exc


def chosen_plans(proposal: Proposal, numbers: Collection[int] | None = None) -> list[FilePlan]:
    """One `FilePlan` per file for the cures numbered `numbers` (None: all of them)."""
    known = {cure.number for cure in proposal.cures}
    unknown = sorted(set(numbers or ()) - known)
    if unknown:
        raise ProposalError(
            f"proposal {proposal.id} has no proven cure numbered {unknown[0]} "
            f"(proven: {', '.join(map(str, sorted(known))) or 'none'})"
        )
    root = Path(proposal.root)
    files: dict[str, Change] = {}  # relative -> from the target's bytes to the chosen result
    left_out: dict[str, int] = {}  # files a cure not chosen changes -> that cure
    for cure in proposal.cures:
        chosen = numbers is None or cure.number in numbers
        for saved in cure.changes:
            plan = saved.file_plan(root)
            change = Change(plan.relative, plan.before, plan.after, plan.created)
            relative = change.relative
            if not chosen:
                left_out.setdefault(relative, cure.number)
                continue
            if relative in left_out:
                raise ProposalError(
                    f"cure {cure.number} builds on cure {left_out[relative]} ({relative}): "
                    "approve that one too"
                )
            earlier = files.get(relative)
            files[relative] = (
                change
                if earlier is None
                else Change(relative, earlier.before, change.after, earlier.created)
            )
    return [file_plan(root, change) for change in files.values()]


def apply_proposal(
    root: Path, proposal_id: str | None = None, numbers: Collection[int] | None = None
) -> tuple[Proposal, ApplyReport]:
    """Write the chosen cures of a proposal through the codemod journal; refuses when the
    target's content is no longer what they were proven on."""
    proposal = load_proposal(root, proposal_id)
    if not proposal.cures:
        raise ProposalError(f"proposal {proposal.id} has no proven cure to apply")
    now = content_digest(root)
    if now != proposal.digest:
        raise ProposalError(
            f"the target changed since proposal {proposal.id} was proven, so it is not "
            f"applied: prove the cures again with `remediate fix {root}`"
        )
    plans = chosen_plans(proposal, numbers)
    report = apply_plan(CodemodPlan(root=root, files=plans), codemod=CODEMOD)
    return proposal, report
