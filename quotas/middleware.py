"""Portal sessions stay in the portal.

The portal signs people in by an invitation's magic link or the webshop's token, never with a
password, and never a back-office account (quotas.views). Such a session is marked portal-only;
should its account be made staff later, the session still does not open the back office: on
the way into the Django admin or the admin API it is signed out, and the back office asks for
the account's own password."""

from django.conf import settings
from django.contrib.auth import logout

PORTAL_ONLY_SESSION_KEY = "portal_only"
BACK_OFFICE_PATHS = ("/admin/", "/api/admin/", "/hijack/")


def portal_only_mark(request) -> None:
    """Call after `login()`: it cycles the session, and logging out clears the mark."""
    request.session[PORTAL_ONLY_SESSION_KEY] = True


class PortalOnlySessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only a request with a session cookie can carry the mark; reading the session of any
        # other would add `Vary: Cookie` to token-authenticated API answers.
        if (request.path.startswith(BACK_OFFICE_PATHS)
                and settings.SESSION_COOKIE_NAME in request.COOKIES
                and request.session.get(PORTAL_ONLY_SESSION_KEY)):
            logout(request)
        return self.get_response(request)
