"""Rate limits on every guessable or costly entry (README, "Rate limits").

The counters are django-ratelimit's fixed windows in the default cache (Redis in production,
so every web process shares them); each rate is a named setting, read on every request, so a
deploy (or a test) changes it without a restart. Past a limit the answer is 429 `throttled`
with `Retry-After`: the seconds until the window opens again.

    limit_count(request, group="magic-link", key=f"ip:{client_ip(request)}",
                rate=settings.MAGIC_LINK_RATE_PER_IP, detail="Too many sign-in links …")

    class CartAddView(APIView):
        throttle_classes = [per_user("cart-add", "CART_ADD_RATE", fail_open=True)]

Login and refresh keep DRF's scoped throttle (`AUTH_THROTTLE_RATE`, core.net); the admin's
password form is django-axes' (its 429 page is `admin_lockout`); wrong petrol PINs count only
the misses (quotas.petrol.services.sales)."""

import logging

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from core.errors import TooManyRequests
from core.net import client_ip
from core.outages import REDIS_DOWN

logger = logging.getLogger(__name__)


def limit_count(request, *, group: str, key: str, rate: str, detail: str,
                fail_open: bool = False) -> None:
    """Count one request of `key` in `group` against `rate` ("30/m", "10/h"); past it, raise
    TooManyRequests. With `fail_open`, a Redis outage lets the request through (logged): for
    entries that must keep working without Redis (README, "When Redis is down")."""
    try:
        usage = get_usage(request, group=group, key=lambda _group, _request: key, rate=rate,
                          increment=True)
    except REDIS_DOWN as exc:
        if not fail_open:
            raise
        logger.warning("Redis is unreachable; %s not rate limited: %s", group, exc)
        return
    if usage and usage["count"] > usage["limit"]:
        raise TooManyRequests(detail, retry_after=max(int(usage["time_left"]), 1))


class _PerUser(BaseThrottle):
    group: str
    rate_setting: str
    fail_open: bool

    def allow_request(self, request, view) -> bool:
        limit_count(request, group=self.group, key=f"user:{request.user.pk}",
                    rate=getattr(settings, self.rate_setting), fail_open=self.fail_open,
                    detail="Too many requests from your account; please wait a moment.")
        return True


def per_user(group: str, rate_setting: str, *, fail_open: bool = False) -> type[BaseThrottle]:
    """A DRF throttle counting each request of the signed-in user against the rate in setting
    `rate_setting`. DRF runs it after authentication and permissions, so an anonymous request
    is a 401 and never counts."""
    return type(f"PerUser_{group}", (_PerUser,), {
        "group": group, "rate_setting": rate_setting, "fail_open": fail_open})


def per_ip_count(request, *, group: str, rate: str, detail: str) -> None:
    """`limit_count` keyed by the client's address (core.net.client_ip)."""
    limit_count(request, group=group, key=f"ip:{client_ip(request)}", rate=rate, detail=detail)


def admin_lockout(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out admin login (AXES_LOCKOUT_CALLABLE): the 429 page,
    with Retry-After, saying how long the lock lasts."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "admin/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
