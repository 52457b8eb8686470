"""`Authorization: Bearer <access token>` for the API; `?token=<access token>` for WebSockets.
A token is accepted only while its session is live, so logout takes effect at once."""

from urllib.parse import parse_qs

import jwt
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions

from ticketing.models import ApiSession
from ticketing.tokens import access_token_decode


def session_for_access_token(token: str) -> ApiSession:
    """The live session behind an access token, or exceptions.AuthenticationFailed."""
    try:
        claims = access_token_decode(token)
    except jwt.ExpiredSignatureError:
        raise exceptions.AuthenticationFailed(
            "Access token expired; get a new one from /api/auth/refresh.") from None
    except jwt.InvalidTokenError:
        raise exceptions.AuthenticationFailed("Access token is not valid.") from None
    session = (ApiSession.objects.select_related("user")
               .filter(pk=claims["sid"], user_id=claims["sub"], revoked_at__isnull=True,
                       expires_at__gt=timezone.now()).first())
    if session is None:
        raise exceptions.AuthenticationFailed("This session has ended; please sign in again.")
    if not session.user.is_active:
        raise exceptions.AuthenticationFailed("This account is not active.")
    return session


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
