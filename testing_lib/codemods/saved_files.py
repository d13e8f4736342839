"""A planned file change kept on disk (JSON), so a later apply writes exactly what was shown:
a reviewed isolation fix, a saved cure proposal."""

from __future__ import annotations

import base64
from pathlib import Path

from pydantic import BaseModel

from testing_lib.codemods.codemod_plan import FilePlan


class SavedFile(BaseModel):
    relative: str
    before: str  # base64 of the bytes
    after: str
    created: bool = False  # a new file (before is empty)

    @classmethod
    def of(cls, change: FilePlan) -> SavedFile:
        encode = base64.b64encode
        return cls(
            relative=change.relative,
            before=encode(change.before).decode("ascii"),
            after=encode(change.after).decode("ascii"),
            created=change.created,
        )

    def file_plan(self, root: Path) -> FilePlan:
        return FilePlan(
            path=root / self.relative,
            relative=self.relative,
            before=base64.b64decode(self.before),
            after=base64.b64decode(self.after),
            created=self.created,
        )
