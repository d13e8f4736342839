"""Password hashing (PBKDF2-SHA256, stdlib), JWT access tokens (PyJWT) and auth dependencies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from mdra.config import Settings, get_settings
from mdra.database import get_session
from mdra.models import User

HASH_SCHEME = "pbkdf2_sha256"
SALT_BYTES = 16
_RESERVED_CLAIMS = frozenset({"sub", "exp", "iat", "type"})


# --- passwords --------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, iterations: int | None = None) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<digest>``: a fresh random salt every call."""
    rounds = iterations if iterations is not None else get_settings().password_hash_iterations
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds)
    return f"{HASH_SCHEME}${rounds}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches ``encoded``; malformed hashes never match."""
    try:
        scheme, rounds_text, salt_text, digest_text = encoded.split("$")
        rounds = int(rounds_text)
        salt, expected = _unb64(salt_text), _unb64(digest_text)
    except ValueError:
        return False
    if scheme != HASH_SCHEME or rounds < 1:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds)
    return hmac.compare_digest(digest, expected)


# --- tokens -----------------------------------------------------------------------------------


class TokenError(Exception):
    """The token is missing, malformed, badly signed, expired or lacks a required claim."""


def create_access_token(
    subject: str | int,
    expires_delta: timedelta | None = None,
    extra_claims: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
) -> str:
    settings = settings or get_settings()
    if extra_claims and _RESERVED_CLAIMS & extra_claims.keys():
        clash = sorted(_RESERVED_CLAIMS & extra_claims.keys())
        raise ValueError(f"extra_claims may not override {clash}")
    now = datetime.now(UTC)
    lifetime = (
        expires_delta
        if expires_delta is not None
        else timedelta(minutes=settings.access_token_expire_minutes)
    )
    claims: dict[str, Any] = {
        **(extra_claims or {}),
        "sub": str(subject),
        "iat": now,
        "exp": now + lifetime,
        "type": "access",
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


def decode_access_token(token: str, *, settings: Settings | None = None) -> dict[str, Any]:
    """Verified claims of an access token, or ``TokenError`` saying why it was refused."""
    settings = settings or get_settings()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token has expired") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(f"token is missing the {exc.claim!r} claim") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenError("token signature is invalid") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("token is malformed or invalid") from exc
    if claims.get("type") != "access":
        raise TokenError("not an access token")
    return claims


# --- dependencies -----------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="JWT from POST /auth/token")


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[AsyncSession, Depends(get_session)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("not authenticated")
    try:
        claims = decode_access_token(credentials.credentials)
    except TokenError as exc:
        raise _unauthorized(str(exc)) from exc
    try:
        user_id = int(claims["sub"])
    except ValueError as exc:
        raise _unauthorized("token subject is not a user id") from exc
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise _unauthorized("user not found or inactive")
    return user


async def require_admin(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="admin only")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
AdminUser = Annotated[User, Depends(require_admin)]
