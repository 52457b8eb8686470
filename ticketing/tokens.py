"""API tokens. The access token is a short-lived HS256 JWT naming the user and the session; the
refresh token is opaque, `<session id>.<secret>`, and only its SHA-256 is stored."""

import hashlib
import secrets
import uuid
from datetime import datetime

import jwt
from django.conf import settings
from django.utils import timezone

ALGORITHM = "HS256"


def access_token_issue(*, user_id: int, session_id: uuid.UUID, now: datetime | None = None) -> str:
    now = now or timezone.now()
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "type": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + settings.ACCESS_TOKEN_LIFETIME).timestamp()),
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def access_token_decode(token: str) -> dict:
    """Claims of a valid access token; raises jwt.InvalidTokenError (incl. expiry) otherwise."""
    claims = jwt.decode(
        token, settings.JWT_SIGNING_KEY, algorithms=[ALGORITHM],
        options={"require": ["exp", "sub", "sid"]},
    )
    if claims.get("type") != "access":
        raise jwt.InvalidTokenError("not an access token")
    return claims


def refresh_token_new(session_id: uuid.UUID) -> tuple[str, str]:
    """A fresh refresh token for the session and the hash to store."""
    token = f"{session_id}.{secrets.token_urlsafe(32)}"
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def refresh_token_session_id(token: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(token.split(".", 1)[0])
    except (ValueError, AttributeError):
        return None
