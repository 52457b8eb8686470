"""The quota portal's pages (/portal/): server-rendered, session-authenticated.

The pages read through `quotas.selectors`; everything a holder does (select, holders, pay,
send, retract) goes through the JSON API under /api/quota-portal/ from a little JavaScript,
so the API the app uses is the single place where claiming and delegating happen."""

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, Forbidden, NotFound
from core.limits import per_ip_count
from quotas import selectors
from quotas.middleware import portal_only_mark
from quotas.services.common import quota_for_holder
from quotas.services.magic_links import magic_link_redeem
from ticketing.services.accounts import user_sync_from_sso
from ticketing.sso import sso_token_verify

BACKEND = "django.contrib.auth.backends.ModelBackend"
portal_login_required = login_required(login_url="portal:login")


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("portal:dashboard")


def _sso_user(token: str, request):
    """The same check as the app's login (POST /api/auth/login): the webshop's token, the
    local account kept in step with it, and only an active account."""
    claims = sso_token_verify(token)
    user = user_sync_from_sso(claims=claims, request=request)
    if not user.is_active:
        raise Forbidden(f"This account is {user.status.lower()}; please contact support.",
                        code="account_not_active")
    return user


def _retry_after(response, refusal: DomainError | None):
    """A page answering a rate limit (429) says when to come back, as the API does."""
    if retry_after := getattr(refusal, "retry_after", None):
        response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "POST"])
def portal_login(request):
    """Sign in with the webshop (SSO) login: the webshop redirects here with `?token=<its
    token>`, or the form posts `drupal_token`. The same credentials as the mobile app."""
    token = (request.POST.get("drupal_token") if request.method == "POST"
             else request.GET.get("token")) or ""
    error, status, refused = "", 200, None
    if token.strip():
        try:
            per_ip_count(request, group="portal-login", rate=settings.AUTH_THROTTLE_RATE,
                         detail="Too many sign-in attempts from here; wait a minute.")
            user = _sso_user(token.strip(), request)
        except DomainError as exc:
            error, status, refused = exc.detail, exc.status_code, exc
        else:
            login(request, user, backend=BACKEND)
            portal_only_mark(request)
            return HttpResponseRedirect(_next_url(request))
    elif request.method == "POST":
        error, status = "Paste the sign-in token from the webshop.", 400
    elif request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request))
    return _retry_after(render(request, "quotas/portal/login.html", {
        "error": error, "next": request.POST.get("next") or request.GET.get("next") or "",
        "demo_sso": not (settings.SSO_PUBLIC_KEY or settings.SSO_PUBLIC_KEY_FILE
                         or settings.SSO_JWKS_URL)}, status=status), refused)


@require_POST
def portal_logout(request):
    logout(request)
    return redirect("portal:login")


def magic_login(request, token: str):
    """The invitation's magic link: sign in as the quota's recipient (a portal-only session),
    open the quota. A link that does not work says why, and what to do instead."""
    try:
        per_ip_count(request, group="magic-link", rate=settings.MAGIC_LINK_RATE_PER_IP,
                     detail="Too many sign-in links opened from here; try again later.")
        user, quota = magic_link_redeem(token=token, request=request)
    except DomainError as exc:
        return _retry_after(render(request, "quotas/link_invalid.html", {
            "message": exc.detail, "back_office": exc.code == "back_office_account"},
            status=exc.status_code), exc)
    login(request, user, backend=BACKEND)
    portal_only_mark(request)
    return HttpResponseRedirect(reverse("portal:quota", kwargs={"quota_id": quota.pk}))


@portal_login_required
def dashboard(request):
    """Every quota and subquota of the holder. `?fragment=list` renders only the list: the
    page's script swaps it in when a quota changes."""
    context = {"quotas": selectors.dashboard(request.user)}
    if request.GET.get("fragment") == "list":
        return render(request, "quotas/portal/_dashboard_list.html", context)
    return render(request, "quotas/portal/dashboard.html", context)


@portal_login_required
def quota_page(request, quota_id: int):
    """The 3-step claim and, for a root quota that may delegate, sending tickets on. The
    script renders from the same JSON as GET /api/quota-portal/quotas/<id>."""
    try:
        quota = quota_for_holder(user=request.user, quota_id=quota_id)
    except (NotFound, Forbidden) as exc:
        return render(request, "quotas/portal/error.html", {"message": exc.detail},
                      status=exc.status_code)
    summary = selectors.quota_summary(quota, user=request.user)
    config = {
        "quotaId": quota.pk,
        "api": {
            "quota": reverse("quota-portal-quota", kwargs={"quota_id": quota.pk}),
            "select": reverse("quota-portal-select-seats", kwargs={"quota_id": quota.pk}),
            "holders": reverse("quota-portal-ticket-holders", kwargs={"quota_id": quota.pk}),
            "payment": reverse("quota-portal-payment", kwargs={"quota_id": quota.pk}),
            "payLocal": reverse("quota-portal-pay-local", kwargs={"claim_id": 0}),
            "claim": reverse("quota-portal-claim", kwargs={"claim_id": 0}),
            "subquotas": reverse("quota-portal-subquotas", kwargs={"quota_id": quota.pk}),
            "subquota": reverse("quota-portal-subquota", kwargs={"subquota_id": 0}),
            "profile": reverse("profile"),
            "savedProfiles": reverse("saved-profiles"),
            "order": reverse("order", kwargs={"order_id": 0}),
        },
        "socket": f"/ws/quotas/{quota.pk}/",
        "paymentsProvider": settings.PAYMENTS_PROVIDER,
        "stripePublishableKey": settings.STRIPE_PUBLISHABLE_KEY,
        "quota": summary,
    }
    return render(request, "quotas/portal/quota.html", {"quota": summary, "config": config,
                                                         "stripe": config["paymentsProvider"]
                                                         == "stripe"})
