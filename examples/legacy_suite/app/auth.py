"""Signed, expiring bearer tokens (HMAC-SHA256), the shape of the backend's JWTs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json


class InvalidToken(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(user: str, secret: str, *, now: float, ttl_s: float = 900) -> str:
    body = _b64(json.dumps({"sub": user, "exp": now + ttl_s}).encode())
    signature = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def verify_token(token: str, secret: str, *, now: float) -> str:
    try:
        body, signature = token.split(".")
    except ValueError as exc:
        raise InvalidToken("malformed token") from exc
    expected = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        raise InvalidToken("bad signature")
    claims = json.loads(_unb64(body))
    if claims["exp"] <= now:
        raise InvalidToken("expired")
    return str(claims["sub"])
