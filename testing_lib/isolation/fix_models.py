"""What `remediate isolation --fix` reports: per pair, the patch, its proof runs, the verdict."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from testing_lib.proof_run import ProofRun

__all__ = ["FixReport", "FixStatus", "PairFix", "ProofRun"]

FixStatus = Literal["proven", "not proven", "no local fix"]


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
