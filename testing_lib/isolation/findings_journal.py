"""Confirmed pairs written as they are confirmed, so a cut-short validation keeps them.

One JSON line per confirmed pair (a `PolluterPair`), appended and flushed the moment its
replay confirms it. A validation stopped by its time limit, a timeout or Ctrl-C leaves
every pair confirmed so far in the file; the report of a validation that did not finish
reads them back.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from pydantic import ValidationError

from testing_lib.isolation.order_models import PolluterPair

logger = logging.getLogger(__name__)


class FindingsJournal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, pair: PolluterPair) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(pair.model_dump_json() + "\n")
                out.flush()

    def read(self) -> list[PolluterPair]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        pairs = []
        for line in lines:
            try:
                pairs.append(PolluterPair.model_validate_json(line))
            except ValidationError:
                logger.warning("skipping an unreadable line of %s", self.path)
        return pairs
