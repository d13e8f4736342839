"""What per-test database isolation costs: testing_lib's two strategies against the seed's.

    python benchmarks/db_isolation.py [--tests 500] [--rounds 5] [--extra-tables K]
                                      [--url URL] [--skip-pytest]

Each test inserts 5 rows across three foreign-key-related tables (a user, a project, three
predicate devices; the example backend's shape: unique e-mail, enum with a CHECK constraint,
five indexes), commits, and queries them back with a join. Four ways to isolate it:

- transaction: testing_lib's default: one engine and schema per session, each test in an
  outer transaction with a SAVEPOINT-joined session, rolled back;
- fresh:       testing_lib's `fresh`: a fresh copy of a template database per test;
- seed:        the seed design: a new in-memory engine + `create_all` per test;
- none:        no isolation at all: one engine and schema, plain committing sessions;
- transaction-aiosqlite: `transaction` with `sqlite_in_loop = false` (shown, not judged).

Drivers: on in-memory SQLite, testing_lib's engines (transaction, fresh, and none, which
uses the same engine so that its ratio is the isolation's own cost) run sqlite3 on the event
loop's thread (`testing_lib.database.inloop_sqlite`); the seed's design, as written, and
transaction-aiosqlite pay aiosqlite's worker-thread hop on every call. The ratio of
transaction-aiosqlite to transaction shows how much of the gain is that driver choice.

The modes take turns (`--rounds`), so that a machine busy with other work slows all of them
alike. Two measurements, both reported as ms per test (median, mean):
- pytest:     a generated suite of N tests run by pytest through `run_pytest`, per-test
              time as pytest measured it (setup + call + teardown). transaction and fresh use
              the plugin's `isolated_db` fixture; seed and none are fixtures in the suite's
              conftest. This is what a user's suite pays, and what the targets are judged on.
- in-process: the same N tests in one event loop without pytest (the isolation cost alone).

`--extra-tables K` adds K tables the tests never touch (a real application's schema is bigger
than the three tables a test writes): the seed pays for them in every test, the strategies
once per session. `--url` runs the strategies against another database (e.g.
postgresql+asyncpg://postgres@127.0.0.1:5432/test); the seed design is SQLite-only.
Exit status 1 when one of the targets below is missed. Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import enum
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import (  # noqa: E402
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.ext.asyncio import (  # noqa: E402
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402
from sqlalchemy.pool import StaticPool  # noqa: E402

from testing_lib.database.isolation import IsolatedDatabaseManager, Strategy  # noqa: E402
from testing_lib.runner import run_pytest  # noqa: E402

SQLITE_MEMORY = "sqlite+aiosqlite:///:memory:"
MODES = ("transaction", "fresh", "seed", "none", "transaction-aiosqlite")

# The targets on this 2-core machine.
TRANSACTION_VS_SEED = 4.0  # transaction at least this many times faster than the seed
TRANSACTION_VS_NONE = 2.5  # and within this factor of no isolation
FRESH_VS_SEED = 2.0  # fresh at least this many times faster than the seed


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Status(enum.Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    hashed_password: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[Status] = mapped_column(
        Enum(Status, name="project_status", native_enum=False, create_constraint=True),
        index=True,
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class PredicateDevice(Base):
    __tablename__ = "predicate_devices"
    __table_args__ = (UniqueConstraint("project_id", "k_number", name="uq_predicate_project_k"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    k_number: Mapped[str] = mapped_column(String(20))
    device_name: Mapped[str] = mapped_column(String(500))
    product_code: Mapped[str] = mapped_column(String(10), index=True)


EXTRA_TABLES_ENV = "BENCH_DB_EXTRA_TABLES"


def add_extra_tables(count: int) -> None:
    """Tables the tests never touch, as a real application has (`--extra-tables`)."""
    for i in range(count):
        Table(
            f"extra_{i}",
            Base.metadata,
            Column("id", Integer, primary_key=True),
            Column("user_id", ForeignKey("users.id"), index=True),
            Column("name", String(100), index=True),
            Column("created_at", DateTime(timezone=True)),
        )


add_extra_tables(int(os.environ.get(EXTRA_TABLES_ENV, "0")))


async def body(session: AsyncSession, n: int) -> None:
    """One test: 5 rows over three FK-related tables, commit, query back."""
    user = User(email=f"user{n}@example.com", full_name=f"User {n}", hashed_password="x")  # noqa: S106
    session.add(user)
    await session.flush()
    project = Project(owner_id=user.id, name=f"project {n}", status=Status.ACTIVE)
    session.add(project)
    await session.flush()
    session.add_all(
        PredicateDevice(
            project_id=project.id, k_number=f"K{n}{i}", device_name="d", product_code="ABC"
        )
        for i in range(3)
    )
    await session.commit()
    query = (
        select(func.count())
        .select_from(PredicateDevice)
        .join(Project)
        .join(User)
        .where(User.email == f"user{n}@example.com")
    )
    found = await session.scalar(query)
    if found != 3:
        raise AssertionError(f"test {n} found {found} devices, expected 3")


# -- in-process ---------------------------------------------------------------------------

SessionSource = Callable[[int], AbstractAsyncContextManager[AsyncSession]]


async def timed(sessions: SessionSource, numbers: range) -> list[float]:
    durations = []
    for n in numbers:
        start = time.perf_counter()
        async with sessions(n) as session:
            await body(session, n)
        durations.append((time.perf_counter() - start) * 1000)
    return durations


@asynccontextmanager
async def seed_session(_n: int = 0) -> AsyncIterator[AsyncSession]:
    """The seed's IsolatedDatabaseManager.isolated_session, as designed."""
    engine = create_async_engine(
        SQLITE_MEMORY, poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with async_sessionmaker(bind=engine, expire_on_commit=False)() as session:
            yield session
    finally:
        await engine.dispose()


Rounds = dict[str, list[list[float]]]  # mode -> per-test ms, one list per round


async def in_process(url: str, tests: int, rounds: int) -> Rounds:
    """Every mode, `rounds` times in turn (so that a busy machine slows all of them alike)."""
    managers: dict[str, IsolatedDatabaseManager] = {}
    strategies: dict[str, Strategy] = {"transaction": "transaction", "fresh": "fresh"}
    for mode, strategy in strategies.items():
        managers[mode] = IsolatedDatabaseManager(url, metadata=Base.metadata, strategy=strategy)
    if "sqlite" in url:
        managers["transaction-aiosqlite"] = IsolatedDatabaseManager(
            url, metadata=Base.metadata, sqlite_in_loop=False
        )
    managers["none"] = IsolatedDatabaseManager(url, metadata=Base.metadata)  # schema only
    for manager in managers.values():
        await manager.setup()  # once per session, as the fixture does; not part of a test
    shared = managers["none"].shared_engine
    assert shared is not None
    plain = async_sessionmaker(shared, expire_on_commit=False)
    sources: dict[str, SessionSource] = {
        "transaction": lambda n: managers["transaction"].isolated_session(f"test-{n}"),
        "fresh": lambda n: managers["fresh"].isolated_session(f"test-{n}"),
        "none": lambda _n: plain(),
    }
    if "sqlite" in url:
        sources["seed"] = seed_session
        sources["transaction-aiosqlite"] = lambda n: managers[
            "transaction-aiosqlite"
        ].isolated_session(f"test-{n}")
    results: Rounds = {mode: [] for mode in sources}
    chunk = max(1, tests // rounds)
    try:
        for first in range(0, tests, chunk):
            numbers = range(first, min(tests, first + chunk))
            for mode, source in sources.items():
                results[mode].append(await timed(source, numbers))
    finally:
        for manager in managers.values():
            await manager.dispose()
    return results


# -- through pytest -----------------------------------------------------------------------

CONFTEST = """
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession

from db_isolation import Base, seed_session
from testing_lib.database.db_fixtures import run_in_thread
from testing_lib.database.isolation import IsolatedDatabaseManager

MODE = "__MODE__"
URL = __URL__

if MODE == "seed":
    @pytest_asyncio.fixture
    async def db():
        async with seed_session() as session:
            yield session

elif MODE == "none":
    @pytest.fixture(scope="session")
    def shared_schema():
        manager = IsolatedDatabaseManager(URL, metadata=Base.metadata)
        yield manager
        run_in_thread(manager.dispose)

    @pytest_asyncio.fixture
    async def db(shared_schema):
        await shared_schema.setup()
        async with AsyncSession(shared_schema.shared_engine, expire_on_commit=False) as session:
            yield session

else:
    @pytest.fixture
    def db(isolated_db):
        return isolated_db
"""

SUITE = """
import pytest

from db_isolation import body


@pytest.mark.parametrize("n", range(__TESTS__))
async def test_body(db, n):
    await body(db, n)
"""


def through_pytest(url: str, mode: str, tests: int) -> list[float]:
    strategy = "fresh" if mode == "fresh" else "transaction"
    in_loop = "false" if mode == "transaction-aiosqlite" else "true"
    with tempfile.TemporaryDirectory(prefix="bench-db-isolation-") as scratch:
        root = Path(scratch)
        files = {
            "pyproject.toml": f"""
                [tool.pytest.ini_options]
                asyncio_mode = "auto"
                asyncio_default_fixture_loop_scope = "function"
                [tool.remediation]
                metadata = "db_isolation:Base"
                [tool.remediation.testing.database]
                url = {json.dumps(url)}
                strategy = "{strategy}"
                sqlite_in_loop = {in_loop}
                """,
            "conftest.py": CONFTEST.replace("__MODE__", mode).replace("__URL__", json.dumps(url)),
            "test_bench.py": SUITE.replace("__TESTS__", str(tests)),
        }
        for name, text in files.items():
            (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
        pythonpath = os.pathsep.join([str(HERE), str(HERE.parent)])
        suite = run_pytest(
            cwd=root,
            selection=[],
            suite_name=f"bench-{mode}",
            timeout_s=900,
            env={"PYTHONPATH": pythonpath},
        )
    if suite.passed_tests != tests:
        raise SystemExit(
            f"pytest ({mode}) passed {suite.passed_tests}/{tests}: {suite.stderr_tail}"
        )
    return [r.execution_time_ms for r in suite.results]


def pytest_rounds(url: str, tests: int, rounds: int) -> Rounds:
    """`rounds` pytest runs per mode, in turn, of tests/rounds tests each."""
    modes = MODES if "sqlite" in url else ("transaction", "fresh", "none")
    results: Rounds = {mode: [] for mode in modes}
    per_run = max(1, tests // rounds)
    for _ in range(rounds):
        for mode in modes:
            results[mode].append(through_pytest(url, mode, per_run))
    return results


# -- report -------------------------------------------------------------------------------


def report(title: str, results: Rounds) -> dict[str, float]:
    """Print each mode's figures; return its best round's median (what the ratios use).

    The best round is the one least disturbed by other work on the machine (as timeit
    takes the minimum); the median over all rounds is printed beside it.
    """
    print(title)
    best = {}
    for mode in MODES:
        if mode in results:
            rounds = results[mode]
            best[mode] = min(statistics.median(r) for r in rounds)
            everything = [d for r in rounds for d in r]
            print(
                f"  {mode:<22} best-round median {best[mode]:7.2f} ms/test   "
                f"all-rounds median {statistics.median(everything):7.2f}   "
                f"mean {statistics.fmean(everything):7.2f}"
            )
    return best


def ratios(medians: dict[str, float]) -> list[str]:
    """Print the ratios of best-round medians; return the targets missed."""
    missed = []
    if "seed" in medians:
        vs_seed = medians["seed"] / medians["transaction"]
        fresh_vs_seed = medians["seed"] / medians["fresh"]
        print(f"  seed / transaction = {vs_seed:5.2f}x  (target >= {TRANSACTION_VS_SEED:g}x)")
        print(f"  seed / fresh       = {fresh_vs_seed:5.2f}x  (target >= {FRESH_VS_SEED:g}x)")
        if vs_seed < TRANSACTION_VS_SEED:
            missed.append(f"transaction vs seed {vs_seed:.2f}x")
        if fresh_vs_seed < FRESH_VS_SEED:
            missed.append(f"fresh vs seed {fresh_vs_seed:.2f}x")
    if "transaction-aiosqlite" in medians:
        driver = medians["transaction-aiosqlite"] / medians["transaction"]
        print(f"  transaction-aiosqlite / transaction = {driver:5.2f}x  (the driver's share)")
    vs_none = medians["transaction"] / medians["none"]
    print(f"  transaction / none = {vs_none:5.2f}x  (target <= {TRANSACTION_VS_NONE:g}x)")
    if vs_none > TRANSACTION_VS_NONE:
        missed.append(f"transaction vs none {vs_none:.2f}x")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--url", default=SQLITE_MEMORY)
    parser.add_argument("--rounds", type=int, default=5, help="modes take turns this often")
    parser.add_argument("--skip-pytest", action="store_true", help="in-process only")
    parser.add_argument(
        "--extra-tables",
        type=int,
        default=0,
        help="untouched tables added to the schema (a real application has more tables)",
    )
    args = parser.parse_args(argv)
    if args.extra_tables and not os.environ.get(EXTRA_TABLES_ENV):
        os.environ[EXTRA_TABLES_ENV] = str(args.extra_tables)  # the pytest runs import this
        add_extra_tables(args.extra_tables)
    print(
        f"{args.tests} tests per mode in {args.rounds} rounds, 5 rows each over 3 FK tables, "
        f"commit + join query; {len(Base.metadata.tables)} tables in the schema; {args.url}"
    )

    missed: list[str] = []
    if not args.skip_pytest:
        results = pytest_rounds(args.url, args.tests, args.rounds)
        medians = report("through pytest (setup + call + teardown per test):", results)
        missed += ratios(medians)
    measured = asyncio.run(in_process(args.url, args.tests, args.rounds))
    medians = report("in-process (no pytest):", measured)
    in_process_missed = ratios(medians)
    if args.skip_pytest:
        missed += in_process_missed

    if missed:
        print("targets missed: " + "; ".join(missed))
        return 1
    print("all targets met" + ("" if args.skip_pytest else " (judged through pytest)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
