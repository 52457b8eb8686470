"""`POST /api/promo-codes/validate` (US7): what a code would take off, before checkout. Every
try counts against the fan's account and the IP (django-ratelimit, PROMO_VALIDATE_RATE_PER_USER
and _PER_IP), so codes cannot be guessed by the thousand; past either limit, 429."""

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from core.errors import NotFound
from core.limits import limit_count, per_ip_count
from seating.models import Match
from ticketing.models import CartItem
from ticketing.promotions.models import PromoCode
from ticketing.promotions.services.codes import Priced, cart_price, code_check, code_find


def promo_tries_count(request, user) -> None:
    """Count one try of a code (a preview or a checkout with a code); 429 past either limit."""
    detail = "Too many promo codes tried; try again later."
    limit_count(request, group="promo-validate-user", key=f"user:{user.pk}",
                rate=settings.PROMO_VALIDATE_RATE_PER_USER, detail=detail)
    per_ip_count(request, group="promo-validate-ip", rate=settings.PROMO_VALIDATE_RATE_PER_IP,
                 detail=detail)


def code_preview(*, user, match_id: int, code: str, cart_id: int | None = None,
                 request=None, limited: bool = True) -> tuple[PromoCode, Priced | None]:
    """The code for the match, checked for `user` (None: an admin's check, no buyer limit), and
    priced on the fan's cart if `cart_id` is given."""
    if limited:
        promo_tries_count(request, user)
    match = Match.objects.filter(pk=match_id).first()
    if match is None:
        raise NotFound("No such match.", code="match_not_found", field="match_id")
    promo = code_find(match_id=match_id, code=code)
    code_check(promo, user=user, now=timezone.now())
    if cart_id is None:
        return promo, None
    items = list(CartItem.objects.filter(cart_id=cart_id, cart__user_id=user.pk,
                                         cart__match_id=match_id)
                 .annotate(package_id=F("package_line__package_id")).order_by("id"))
    if not items:
        raise NotFound("You have no such cart, or it is empty.", code="cart_not_found",
                       field="cart_id")
    return promo, cart_price(promo, items=items, match=match)
