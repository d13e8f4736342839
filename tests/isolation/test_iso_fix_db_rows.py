"""`remediate isolation --fix` on a generated app whose test commits through the app's own
database session: the polluter is put on `isolated_db` (through `dependency_container` and
the project's overrides), proven, applied, and then no order dependence is left; undo
restores the file byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from tests.conftest import write_tree

pytestmark = pytest.mark.slow

APP = {
    "pyproject.toml": """
        [tool.pytest.ini_options]
        asyncio_mode = "auto"
        asyncio_default_fixture_loop_scope = "function"

        [tool.remediation]
        app = "shop.app:app"
        metadata = "shop.app:Base"
    """,
    "shop/__init__.py": "",
    "shop/app.py": """
        from collections.abc import AsyncIterator

        from fastapi import Depends, FastAPI
        from sqlalchemy import func, select
        from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
        from sqlalchemy.pool import StaticPool


        class Base(DeclarativeBase):
            pass


        class Item(Base):
            __tablename__ = "items"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]


        engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
        sessions = async_sessionmaker(engine, expire_on_commit=False)


        async def get_session() -> AsyncIterator[AsyncSession]:
            async with sessions() as session:
                yield session


        app = FastAPI()


        @app.post("/items", status_code=201)
        async def add(name: str, session: AsyncSession = Depends(get_session)) -> dict[str, str]:
            session.add(Item(name=name))
            await session.commit()
            return {"name": name}


        @app.get("/items/count")
        async def count(session: AsyncSession = Depends(get_session)) -> dict[str, int]:
            return {"count": await session.scalar(select(func.count(Item.id)))}
    """,
    "tests/__init__.py": "",
    "tests/conftest.py": """
        import httpx
        import pytest

        from shop.app import Base, app, engine, get_session


        @pytest.fixture
        def remediation_dependency_overrides(isolated_db_dependency):
            return {get_session: isolated_db_dependency}


        @pytest.fixture
        async def client():
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
                yield client
    """,
    "tests/test_items.py": """
        async def test_the_shop_starts_empty(client):
            assert (await client.get("/items/count")).json() == {"count": 0}


        async def test_an_item_is_added(client):
            assert (await client.post("/items", params={"name": "stent"})).status_code == 201
    """,
}


def test_rows_committed_through_the_app_session_get_isolated_db(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "shop"
    write_tree(root, APP)
    tests = root / "tests/test_items.py"
    original = tests.read_bytes()
    isolation = ["isolation", str(root), "--orders", "2", "--seed", "1"]

    assert main([*isolation, "--fix"]) == 1
    dry = " ".join(capsys.readouterr().out.split())
    assert (
        "tests/test_items.py::test_the_shop_starts_empty after "
        "tests/test_items.py::test_an_item_is_added: proven"
    ) in dry
    assert '+@pytest.mark.usefixtures("dependency_container")' in dry
    assert tests.read_bytes() == original

    assert main([*isolation, "--fix", "--apply"]) == 1  # the exit code of the validation
    assert "patched tests/test_items.py" in capsys.readouterr().out
    assert main([*isolation, "--json", str(tmp_path / "after.json")]) == 0
    assert json.loads((tmp_path / "after.json").read_text(encoding="utf-8"))["pairs"] == []

    assert main(["fix", "undo", str(root)]) == 0
    assert tests.read_bytes() == original
