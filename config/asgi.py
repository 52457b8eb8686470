"""HTTP goes to Django; WebSockets go through Channels, authenticated by the API access token
(`?token=`, the app) or by the Django session cookie (the quota portal's pages)."""

import os
from urllib.parse import parse_qs

from django.core.asgi import get_asgi_application

from config.gc_tuning import gc_tune

gc_tune()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from ticketing.authentication import AccessTokenWebSocketMiddleware  # noqa: E402


class BrowserOriginValidator(OriginValidator):
    """Browsers always send an Origin: one from another site is refused, so a page elsewhere
    cannot open a socket with the holder's session cookie. Native apps send none (and sign in
    with their access token), so a missing Origin is let through."""

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or super().valid_origin(parsed_origin)


def _allowed_hosts() -> list[str]:
    hosts = settings.ALLOWED_HOSTS
    return hosts if hosts or not settings.DEBUG else ["localhost", "127.0.0.1", "[::1]"]


class TokenOrSessionMiddleware:
    """A `?token=` decides the user (the app); without one, the session's user stays (set by
    AuthMiddlewareStack around this). The origin check outside both keeps other sites from
    opening a socket with the holder's cookie."""

    def __init__(self, inner):
        self.inner = inner
        self.with_token = AccessTokenWebSocketMiddleware(inner)

    async def __call__(self, scope, receive, send):
        if "token" in parse_qs(scope.get("query_string", b"").decode()):
            return await self.with_token(scope, receive, send)
        return await self.inner(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(
            AuthMiddlewareStack(TokenOrSessionMiddleware(URLRouter(websocket_urlpatterns))),
            _allowed_hosts(),
        ),
    }
)
