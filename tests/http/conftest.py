"""Shared pieces of the HTTP/auth/mocks tests: a small FastAPI app and projects that use it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

# A FastAPI app with a lifespan, a bearer-protected route and an admin-only route; it checks
# tokens against JWT_SECRET, which the plugin sets for projects with a [tool.remediation] table.
DEMO_APP = """
import os
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Annotated, Optional

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

bearer = HTTPBearer(auto_error=False)


def get_greeting() -> str:
    return "hello"


async def get_current_user(
    credentials: Annotated[Optional[HTTPAuthorizationCredentials], Depends(bearer)],
) -> SimpleNamespace:
    if credentials is None:
        raise HTTPException(401, "not authenticated")
    try:
        claims = jwt.decode(
            credentials.credentials,
            os.environ["JWT_SECRET"],
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.InvalidTokenError as exc:
        raise HTTPException(401, f"{type(exc).__name__}: {exc}") from exc
    return SimpleNamespace(sub=claims["sub"], role=claims.get("role"))


@asynccontextmanager
async def lifespan(app):
    app.state.started = True
    yield
    app.state.started = False


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health(greeting: Annotated[str, Depends(get_greeting)]) -> dict:
    return {"status": "ok", "greeting": greeting, "started": app.state.started}


@app.get("/me")
async def me(user: Annotated[SimpleNamespace, Depends(get_current_user)]) -> dict:
    return {"sub": user.sub, "role": user.role}


@app.get("/admin")
async def admin(user: Annotated[SimpleNamespace, Depends(get_current_user)]) -> dict:
    if user.role != "admin":
        raise HTTPException(403, "admin only")
    return {"ok": True}
"""

# In-process pytester runs find testing_lib already imported: pytest's assertion-rewrite
# warning about it says nothing about the project under test.
PYTEST_INI = """
[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
pythonpath = ["."]
filterwarnings = ["error", "ignore::pytest.PytestAssertRewriteWarning"]
"""
# "default" also overrides the engine's own "error" filter, active around in-process runs.
LENIENT = 'filterwarnings = ["default", "ignore::pytest.PytestAssertRewriteWarning"]'


def demo_pyproject(
    remediation: str | None = 'app = "demo_app:app"\n', *, strict: bool = True
) -> str:
    """pytest settings plus a [tool.remediation] table (none when `remediation` is None)."""
    strict_line = 'filterwarnings = ["error", "ignore::pytest.PytestAssertRewriteWarning"]'
    ini = PYTEST_INI if strict else PYTEST_INI.replace(strict_line, LENIENT)
    if remediation is None:
        return ini
    return ini + "\n[tool.remediation]\n" + textwrap.dedent(remediation)


@pytest.fixture
def demo_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project with the demo app configured as `[tool.remediation] app`."""
    pytester.makefile(".toml", pyproject=demo_pyproject())
    pytester.makepyfile(demo_app=DEMO_APP)
    return pytester


def write_files(root: Path, files: dict[str, str]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root
