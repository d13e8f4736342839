"""What `remediate isolation --fix` reports: per pair, the patch, its proof runs, the verdict."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FixStatus = Literal["proven", "not proven", "no local fix"]


class ProofRun(BaseModel):
    """One pytest run on the patched scratch copy, and whether it showed what it must."""

    name: str  # "replay", "victim alone", "polluter's module", "failing order"
    command: str  # what ran, as a developer would type it (from pytest's rootdir)
    passed: bool
    detail: str = ""


class PairFix(BaseModel):
    """The fix proposed for one confirmed pair."""

    victim: str
    polluter: str
    status: FixStatus
    file: str | None = None  # the patched module, relative to the target
    diff: str = ""  # unified diff of that module
    restores: list[str] = Field(default_factory=list)  # the leaks the patch undoes
    proof: list[ProofRun] = Field(default_factory=list)
    reason: str = ""  # why it is not proven, or why no local fix exists


class FixReport(BaseModel):
    """Every confirmed pair's fix; only `proven` ones are offered for `--apply`."""

    root: str
    fixes: list[PairFix] = Field(default_factory=list)

    @property
    def proven(self) -> list[PairFix]:
        return [fix for fix in self.fixes if fix.status == "proven"]
