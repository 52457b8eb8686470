"""HTTP goes to Django; WebSockets go through Channels, authenticated by the API access token
(`?token=`, the app) or by the Django session cookie (the quota portal's pages)."""

import os
from urllib.parse import parse_qs

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from ticketing.authentication import AccessTokenWebSocketMiddleware  # noqa: E402


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
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TokenOrSessionMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
