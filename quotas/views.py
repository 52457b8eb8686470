"""The quota portal's pages (/portal/): server-rendered, session-authenticated."""

from django.contrib.auth import login
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from quotas.services.invitations import magic_token_read, recipient_user


def magic_login(request, token: str):
    """The invitation's magic link: sign in as the quota's recipient, open the quota."""
    found = magic_token_read(token)
    if found is None:
        return render(request, "quotas/link_invalid.html", status=400)
    quota_id, email = found
    user = recipient_user(email)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(reverse("portal:quota", kwargs={"quota_id": quota_id}))
