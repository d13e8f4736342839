"""Metrics history in SQLite: TARGET/.remediation/metrics.sqlite, one row per test per run."""

from __future__ import annotations

import platform
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from testing_lib.config.phases import PHASE_ORDER
from testing_lib.performance.metrics import TestPerformanceMetrics
from testing_lib.state_dir import STATE_DIR

DB_NAME = "metrics.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    git_revision TEXT,
    python TEXT NOT NULL,
    host TEXT NOT NULL,
    pytest_args TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS test_metrics (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    test TEXT NOT NULL,
    wall_ms REAL NOT NULL,
    memory_delta_mb REAL NOT NULL,
    sql_statements INTEGER NOT NULL,
    http_requests INTEGER NOT NULL,
    cpu_ms REAL NOT NULL,
    rss_before_mb REAL NOT NULL,
    rss_after_mb REAL NOT NULL,
    peak_rss_mb REAL NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (run_id, test)
);
"""


def default_db(root: Path) -> Path:
    return root / STATE_DIR / DB_NAME


def new_perf_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def git_revision(start: Path) -> str | None:
    """HEAD's commit, read from .git files (no git process): None outside a repository."""
    for folder in (start, *start.parents):
        git = folder / ".git"
        if git.is_file():  # a worktree: "gitdir: PATH"
            text = git.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                git = (folder / text.removeprefix("gitdir:").strip()).resolve()
        if not git.is_dir():
            continue
        try:
            head = (git / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if not head.startswith("ref:"):
            return head
        ref = head.removeprefix("ref:").strip()
        try:
            return (git / ref).read_text(encoding="utf-8").strip()
        except OSError:
            pass
        try:
            for line in (git / "packed-refs").read_text(encoding="utf-8").splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
        except OSError:
            return None
        return None
    return None


class RunInfo(BaseModel):
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    git_revision: str | None = None
    python: str = platform.python_version()
    host: str = platform.node()
    pytest_args: str = ""
    tests: int = 0


class Trend(BaseModel):
    test: str
    since_run: str
    before_ms: float
    now_ms: float
    ratio: float
    message: str


@dataclass(frozen=True)
class _Row:
    run_id: str
    test: str
    wall_ms: float
    memory_delta_mb: float
    sql_statements: int
    http_requests: int
    cpu_ms: float
    rss_before_mb: float
    rss_after_mb: float
    peak_rss_mb: float
    outcome: str


class MetricsStore:
    """Reads and writes the metrics database (created on first write)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as connection:
            connection.executescript(_SCHEMA)
            with connection:  # one transaction: committed, or rolled back on error
                yield connection

    def record_run(self, run: RunInfo, metrics: Iterable[TestPerformanceMetrics]) -> int:
        rows = [
            astuple(
                _Row(
                    run.run_id,
                    m.test_name,
                    m.execution_time_ms,
                    m.memory_usage_mb,
                    m.database_queries,
                    m.http_requests,
                    m.cpu_time_ms,
                    m.rss_before_mb,
                    m.rss_after_mb,
                    m.peak_rss_mb,
                    m.outcome,
                )
            )
            for m in metrics
        ]
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.started_at.isoformat(),
                    (run.finished_at or datetime.now(UTC)).isoformat(),
                    run.git_revision,
                    run.python,
                    run.host,
                    run.pytest_args,
                ),
            )
            db.executemany(
                "INSERT OR REPLACE INTO test_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        return len(rows)

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT r.run_id, r.started_at, r.finished_at, r.git_revision, r.python, r.host,"
                " r.pytest_args, count(m.test) FROM runs r LEFT JOIN test_metrics m"
                " ON m.run_id = r.run_id GROUP BY r.run_id ORDER BY r.started_at, r.run_id"
            ).fetchall()
        return [
            RunInfo(
                run_id=row[0],
                started_at=datetime.fromisoformat(row[1]),
                finished_at=datetime.fromisoformat(row[2]) if row[2] else None,
                git_revision=row[3],
                python=row[4],
                host=row[5],
                pytest_args=row[6],
                tests=row[7],
            )
            for row in rows
        ]

    def metrics(self, run_id: str) -> list[TestPerformanceMetrics]:
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT test, wall_ms, memory_delta_mb, sql_statements, http_requests, cpu_ms,"
                " rss_before_mb, rss_after_mb, peak_rss_mb, outcome FROM test_metrics"
                " WHERE run_id = ? ORDER BY rowid",
                (run_id,),
            ).fetchall()
        return [
            TestPerformanceMetrics(
                test_name=r[0],
                execution_time_ms=r[1],
                memory_usage_mb=r[2],
                database_queries=r[3],
                http_requests=r[4],
                cpu_time_ms=r[5],
                rss_before_mb=r[6],
                rss_after_mb=r[7],
                peak_rss_mb=r[8],
                outcome=r[9],
            )
            for r in rows
        ]

    def run(self, run_id: str) -> RunInfo | None:
        """Stored run `run_id` with its number of measured tests; None when it is not stored."""
        return next((r for r in self.runs() if r.run_id == run_id), None)

    def trends(
        self,
        *,
        run_id: str | None = None,
        since: str | None = None,
        factor: float = 3.0,
        min_delta_ms: float = 5.0,
    ) -> list[Trend]:
        """Tests of run `run_id` (default: the latest run) at least `factor` times slower
        than in run `since` (default: the run stored before it; for an engine gate's run,
        `<run>-<phase>`, the previous run of the same phase) and slower by at least
        `min_delta_ms`.

        Raises ValueError naming the recent runs when `run_id` or `since` is not stored.
        """
        runs = self.runs()
        ids = [r.run_id for r in runs]
        for wanted in (run_id, since):
            if wanted is not None and wanted not in ids:
                known = ", ".join(ids[-5:]) or "none"
                raise ValueError(f"no run {wanted!r} in {self.path}; recent runs: {known}")
        if not runs:
            return []
        position = len(runs) - 1 if run_id is None else ids.index(run_id)
        judged = runs[position]
        baseline = since if since is not None else _previous_of_kind(runs[: position + 1])
        if baseline is None:
            return []
        before = {m.test_name: m.execution_time_ms for m in self.metrics(baseline)}
        trends = []
        for metric in self.metrics(judged.run_id):
            old = before.get(metric.test_name)
            now = metric.execution_time_ms
            if old is None or now - old < min_delta_ms or now < factor * max(old, 1e-6):
                continue
            ratio = now / max(old, 1e-6)
            trends.append(
                Trend(
                    test=metric.test_name,
                    since_run=baseline,
                    before_ms=old,
                    now_ms=now,
                    ratio=ratio,
                    message=f"{metric.test_name} got {ratio:.1f}× slower since run {baseline} "
                    f"({old:.1f} ms → {now:.1f} ms)",
                )
            )
        return sorted(trends, key=lambda t: -t.ratio)


def _previous_of_kind(runs: list[RunInfo]) -> str | None:
    """The run to compare the last of `runs` with: for an engine gate's run
    (`<run>-<phase>`) the previous run of that phase, else the previous run; None when
    there is none."""
    latest = runs[-1].run_id
    for phase in PHASE_ORDER:
        suffix = f"-{phase}"
        if latest.endswith(suffix):
            earlier = [r.run_id for r in runs[:-1] if r.run_id.endswith(suffix)]
            return earlier[-1] if earlier else None
    return runs[-2].run_id if len(runs) > 1 else None
