"""A promo code at checkout (US7): finding it, checking it against a cart, taking a use and
giving it back.

A use is scarce like a seat: `use_take` is ONE conditional UPDATE that checks and takes it, in
the order's transaction; the row lock it leaves serialises the checkouts of one code, so the
per-buyer limit counted right after it cannot be passed by a buyer's two parallel checkouts.
Giving a use back (`use_release`) is guarded by the application's APPLIED -> RELEASED move in a
conditional UPDATE: only the statement that moved it decrements, so a use returns once."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, NotFound, ValidationFailed
from core.sql import db_datetime
from payments.pricing import LineAmounts, line_amounts, order_amounts, promo_apply
from ticketing.promotions.models import ApplicationStatus, PromoCode, PromoCodeApplication

FIELD = "promo_code"
LIVE = (ApplicationStatus.APPLIED, ApplicationStatus.CONFIRMED)


@dataclass
class Priced:
    """A cart priced with a code: `lines` as `promo_apply` returns them, and the order's amounts."""

    promo: PromoCode
    lines: list[tuple[int, LineAmounts]]
    amounts: object  # payments.pricing.OrderAmounts


def code_normalize(code: str) -> str:
    return (code or "").strip().upper()


def code_find(*, match_id: int, code: str) -> PromoCode:
    """The match's code, else the platform-wide one; 404 for neither (any case)."""
    found = sorted(PromoCode.objects.filter(Q(match_id=match_id) | Q(match__isnull=True),
                                            code__iexact=code_normalize(code)),
                   key=lambda promo: promo.match_id is None)
    if not found:
        raise NotFound("No such promo code.", code="promo_code_not_found", field=FIELD)
    return found[0]


def code_check(promo: PromoCode, *, user, now: datetime) -> None:
    """Active, within its dates, a use left, and the buyer's own limit not reached."""
    if not promo.is_active:
        raise ValidationFailed("This code is no longer valid.", code="promo_code_inactive",
                               field=FIELD)
    if promo.valid_from and now < promo.valid_from:
        raise ValidationFailed("This code is not valid yet.", code="promo_code_not_yet_valid",
                               field=FIELD)
    if promo.valid_until and now >= promo.valid_until:
        raise ValidationFailed("This code has expired.", code="promo_code_expired", field=FIELD)
    if promo.max_uses is not None and promo.uses_count >= promo.max_uses:
        raise Conflict("This code has been used up.", code="promo_code_used_up", field=FIELD)
    if user is not None:
        _buyer_limit_check(promo, user)


def _buyer_limit_check(promo: PromoCode, user) -> None:
    if promo.max_uses_per_buyer is None:
        return
    used = PromoCodeApplication.objects.filter(promo_code=promo, buyer_id=user.pk,
                                               status__in=LIVE).count()
    if used >= promo.max_uses_per_buyer:
        raise Conflict("You have already used this code as often as it allows.",
                       code="promo_code_buyer_limit", field=FIELD)


def applies_flags(promo: PromoCode, items) -> list[bool]:
    """For each cart item (with `price_category_id`, `match_sector_id`, `package_id`): does the
    code apply? A zone or sector target covers plain tickets; a package's seats only a package
    target (or a code with no target at all)."""
    zones = set(promo.price_categories.values_list("id", flat=True))
    sectors = set(promo.match_sectors.values_list("id", flat=True))
    packages = set(promo.packages.values_list("id", flat=True))
    if not zones and not sectors and not packages:
        return [True] * len(items)
    return [i.package_id in packages if getattr(i, "package_id", None)
            else i.price_category_id in zones or i.match_sector_id in sectors for i in items]


def cart_price(promo: PromoCode, *, items, match) -> Priced:
    """The cart's amounts with the code; 422 if it applies to none of its tickets."""
    flags = applies_flags(promo, items)
    if not any(flags):
        raise ValidationFailed("This code does not apply to the tickets in your cart.",
                               code="promo_code_not_applicable", field=FIELD)
    lines = [line_amounts(unit_price=i.full_price, quantity=i.quantity,
                          discount_percent=i.discount_percent) for i in items]
    priced = promo_apply(lines, applies=flags, kind=promo.kind, value=promo.value)
    amounts = order_amounts(lines=[line for _, line in priced], match_type=match.match_type,
                            fee_percent=match.fee_percent)
    if not amounts.total_amount:
        # A free order would need a checkout without a payment, which only quotas have.
        raise ValidationFailed("This code would make the order free; it cannot be used here.",
                               code="promo_code_order_free", field=FIELD)
    return Priced(promo=promo, lines=priced, amounts=amounts)


def use_take(promo: PromoCode, *, user, now: datetime) -> None:
    """Take one use, in the caller's transaction (the row stays locked until it ends)."""
    stamp = db_datetime(now)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE promotions_promocode SET uses_count = uses_count + 1"
            " WHERE id = %s AND is_active AND (max_uses IS NULL OR uses_count < max_uses)"
            " AND (valid_from IS NULL OR valid_from <= %s)"
            " AND (valid_until IS NULL OR valid_until > %s)"
            " AND version = %s",  # the terms the cart was priced with, unchanged since
            [promo.pk, stamp, stamp, promo.version])
        taken = cursor.rowcount == 1
    if not taken:
        _use_refused(promo)
    _buyer_limit_check(promo, user)  # under the row lock the UPDATE holds


def _use_refused(promo: PromoCode):
    """Why the use could not be taken: its terms changed, it ran out, or it ended."""
    now = PromoCode.objects.filter(pk=promo.pk).values("version", "uses_count",
                                                       "max_uses").first()
    if now is None or now["version"] != promo.version:
        raise Conflict("This code was changed just now: check out again to see its terms.",
                       code="promo_code_changed", field=FIELD)
    if now["max_uses"] is not None and now["uses_count"] >= now["max_uses"]:
        raise Conflict("This code has been used up.", code="promo_code_used_up", field=FIELD)
    raise ValidationFailed("This code is no longer valid.", code="promo_code_inactive",
                           field=FIELD)


def application_record(*, promo: PromoCode, order, user, discount: Decimal,
                       now: datetime) -> PromoCodeApplication:
    return PromoCodeApplication.objects.create(order=order, promo_code=promo, buyer=user,
                                               discount_amount=discount, created_at=now,
                                               updated_at=now)


def _move(order_id: int, from_status: str, to_status: str) -> int | None:
    """Move the order's application; the promo code's id if this statement moved it."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE promotions_promocodeapplication SET status = %s, updated_at = %s"
                       " WHERE order_id = %s AND status = %s",
                       [to_status, db_datetime(timezone.now()), order_id, from_status])
        if cursor.rowcount != 1:
            return None
        cursor.execute("SELECT promo_code_id FROM promotions_promocodeapplication"
                       " WHERE order_id = %s", [order_id])
        return cursor.fetchone()[0]


def _give_back(promo_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE promotions_promocode SET uses_count = uses_count - 1"
                       " WHERE id = %s AND uses_count > 0", [promo_id])


def use_release(order_id: int) -> bool:
    """The order expired (its payment failed for good or came too late): its use goes back,
    once."""
    promo_id = _move(order_id, ApplicationStatus.APPLIED, ApplicationStatus.RELEASED)
    if promo_id is not None:
        _give_back(promo_id)
    return promo_id is not None


def use_confirm(order_id: int) -> None:
    """The order was paid: its use stays taken."""
    _move(order_id, ApplicationStatus.APPLIED, ApplicationStatus.CONFIRMED)


def use_refunded(order_id: int) -> None:
    """The order was refunded: the use goes back only if PROMO_USE_RETURNED_ON_REFUND."""
    if settings.PROMO_USE_RETURNED_ON_REFUND:
        promo_id = _move(order_id, ApplicationStatus.CONFIRMED, ApplicationStatus.RELEASED)
        if promo_id is not None:
            _give_back(promo_id)
