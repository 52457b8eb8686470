"""`Authorization: Bearer <access token>` for the API; `?token=<access token>` for WebSockets.
A token is accepted only while its session is live, so logout takes effect at once."""

import uuid
from urllib.parse import parse_qs

import jwt
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from ticketing.models import ApiSession, User
from ticketing.tokens import access_token_decode


def session_for_access_token(token: str) -> ApiSession:
    """The live session behind an access token, with its user, or
    exceptions.AuthenticationFailed. The session carries its id and user; any other field
    loads when read."""
    try:
        claims = access_token_decode(token)
        session_id, user_id = uuid.UUID(claims["sid"]), int(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise exceptions.AuthenticationFailed(
            "Access token expired; get a new one from /api/auth/refresh.") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise exceptions.AuthenticationFailed("Access token is not valid.") from None
    user = _live_session_user(session_id, user_id)
    if user is None:
        raise exceptions.AuthenticationFailed("This session has ended; please sign in again.")
    if not user.is_active:
        raise exceptions.AuthenticationFailed("This account is not active.")
    session = ApiSession.from_db(DEFAULT_DB_ALIAS, ["id", "user_id"], [session_id, user.pk])
    session.user = user
    return session


# Every authenticated request runs this, so it is raw SQL: as an ORM query it cost ~0.9 ms of
# CPU, most of it building the query; this costs ~0.3 ms, most of it the round trip.
LIVE_SESSION_USER_SQL = (
    f"SELECT u.* FROM {ApiSession._meta.db_table} s "
    f"JOIN {User._meta.db_table} u ON u.id = s.user_id "
    "WHERE s.id = %s AND s.user_id = %s AND s.revoked_at IS NULL AND s.expires_at > %s")


def _live_session_user(session_id: uuid.UUID, user_id: int) -> User | None:
    """The user of the session if the session is neither revoked nor expired."""
    fields = ApiSession._meta
    params = [fields.pk.get_db_prep_value(session_id, connection), user_id,
              fields.get_field("expires_at").get_db_prep_value(timezone.now(), connection)]
    return next(iter(User.objects.raw(LIVE_SESSION_USER_SQL, params)), None)


class AccessTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        session = session_for_access_token(header[1].decode("latin-1"))
        return session.user, session

    def authenticate_header(self, request):
        return self.keyword


@database_sync_to_async
def _user_for_token(token: str):
    try:
        return session_for_access_token(token).user
    except exceptions.AuthenticationFailed:
        return AnonymousUser()


class AccessTokenWebSocketMiddleware:
    """Puts the token's user (or AnonymousUser) in scope["user"]; consumers decide access."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        scope = dict(scope, user=await _user_for_token(token) if token else AnonymousUser())
        return await self.inner(scope, receive, send)
