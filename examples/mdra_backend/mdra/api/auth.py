from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mdra.config import get_settings
from mdra.database import get_session
from mdra.errors import ConflictError
from mdra.models import User
from mdra.schemas import LoginRequest, Token, UserCreate, UserRead
from mdra.security import (
    AdminUser,
    CurrentUser,
    create_access_token,
    hash_password,
    verify_password,
)

router = APIRouter(prefix="/auth", tags=["auth"])
Session = Annotated[AsyncSession, Depends(get_session)]

# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH: dict[int, str] = {}


def _dummy_hash(iterations: int) -> str:
    if iterations not in _DUMMY_HASH:
        _DUMMY_HASH[iterations] = hash_password("not-a-real-password", iterations=iterations)
    return _DUMMY_HASH[iterations]


@router.post("/register", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def register(data: UserCreate, session: Session) -> User:
    exists = await session.scalar(select(User.id).where(User.email == data.email))
    if exists is not None:
        raise ConflictError("a user with this email already exists")
    hashed = await asyncio.to_thread(hash_password, data.password)
    user = User(email=data.email, full_name=data.full_name, hashed_password=hashed)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ConflictError("a user with this email already exists") from exc
    return user


@router.post("/token", response_model=Token)
async def login(data: LoginRequest, session: Session) -> Token:
    settings = get_settings()
    user = await session.scalar(select(User).where(User.email == data.email))
    stored = user.hashed_password if user else _dummy_hash(settings.password_hash_iterations)
    valid = await asyncio.to_thread(verify_password, data.password, stored)
    if user is None or not valid or not user.is_active:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="incorrect email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    lifetime = timedelta(minutes=settings.access_token_expire_minutes)
    token = create_access_token(user.id, lifetime, {"admin": user.is_admin})
    return Token(access_token=token, expires_in=int(lifetime.total_seconds()))


@router.get("/me", response_model=UserRead)
async def me(user: CurrentUser) -> User:
    return user


@router.get("/users", response_model=list[UserRead])
async def list_users(_admin: AdminUser, session: Session) -> Sequence[User]:
    """Every user (admins only)."""
    return (await session.scalars(select(User).order_by(User.id))).all()
