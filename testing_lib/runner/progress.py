"""Live progress of a running gate, read from the runner's JSONL results file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class GateProgress:
    phase: str
    outcomes: dict[str, int] = field(default_factory=dict)
    collected: int | None = None
    running: str | None = None
    _offset: int = 0

    def read(self, results_file: Path) -> None:
        """Fold the events appended since the last call (a partial last line waits)."""
        try:
            with results_file.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        complete, _, _ = chunk.rpartition(b"\n")
        if not complete:
            return
        self._offset += len(complete) + 1
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = event.get("event")
            if kind == "collected":
                self.collected = event.get("count")
            elif kind == "start":
                self.running = event.get("nodeid")
            elif kind == "result":
                outcome = str(event.get("outcome"))
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
                self.running = None

    @property
    def done(self) -> int:
        return sum(self.outcomes.values())

    @property
    def fraction(self) -> float:
        """Share of collected tests finished (0 until pytest reports its collection)."""
        if not self.collected:
            return 0.0
        return min(1.0, self.done / self.collected)

    def line(self) -> str:
        done = sum(self.outcomes.values())
        total = f"/{self.collected}" if self.collected is not None else ""
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items())) or "starting"
        running = f" · {self.running}" if self.running else ""
        return f"{self.phase}: {done}{total} tests ({counts}){running}"


def latest_results_file(run_dir: Path) -> Path | None:
    files = sorted(run_dir.glob("*/**/results.jsonl"), key=lambda p: p.stat().st_mtime)
    return files[-1] if files else None
