"""PINs (E12-F1). At the station the fan scans its QR code, names the ticket holders in the app
(checked as at checkout: identities, the blacklist, the fan's 4 tickets per match) and gets a
5-digit PIN to read out at the counter. A PIN holds its quantity against the Petrol quota until
it is used or expires, so the quota is never promised twice; it is unique among live PINs.

Locks: the fan's user row, then the Petrol quota's root row (every PIN and reservation of the
quota passes it)."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from accessctl.models import ViolationAction
from accessctl.services.check import blacklist_check
from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_rows
from quotas.models import ClaimStatus, Quota, QuotaStatus
from quotas.petrol.models import LIVE_RESERVATION, PetrolPin, PetrolReservation, PinStatus
from quotas.petrol.services.quotas import petrol_quota_live
from quotas.services.claims import holders_dump
from quotas.services.common import free_seats, root_lock
from seating.models import MatchStatus
from ticketing.services.cart import fan_lock, tickets_bought, tickets_in_cart
from ticketing.services.holders import claim_holders_resolve

PIN_ATTEMPTS = 20  # draws of a free PIN before giving up (100,000 codes, few live at once)


def pin_generate(*, user, match_id: int, holders: list[dict], request=None) -> PetrolPin:
    quota = petrol_quota_live(match_id)
    if quota is None or quota.match.status not in (MatchStatus.PUBLISHED, MatchStatus.ACTIVE):
        raise NotFound("Tickets for this match are not sold at petrol stations.",
                       code="petrol_sales_closed")
    quantity = len(holders)
    if not 1 <= quantity <= settings.MAX_TICKETS_PER_FAN_PER_MATCH:
        raise ValidationFailed(f"Name between 1 and {settings.MAX_TICKETS_PER_FAN_PER_MATCH} "
                               "ticket holders.", code="invalid_quantity", field="holders")
    people = claim_holders_resolve(user=user, given=holders, count=quantity)
    blacklist_check(oibs=[p["oib"] for p in people], user=user, request=request,
                    action=ViolationAction.PETROL_PIN_ATTEMPT, match_id=match_id,
                    reference=f"petrol:{quota.pk}")
    now = timezone.now()
    with transaction.atomic():
        fan_lock(user)
        quota = root_lock(quota, now)
        _fan_limit_check(user, quota, quantity, now)
        left = petrol_available(quota, now)
        if quota.status != QuotaStatus.ACTIVE or quantity > left:
            raise Conflict("Sold out at petrol stations." if left <= 0 else
                           f"Only {left} ticket(s) are left at petrol stations.",
                           code="petrol_sold_out", field="holders")
        pin = _pin_insert(user=user, quota=quota, quantity=quantity, people=people,
                          expires_at=now + timedelta(minutes=settings.PETROL_PIN_MINUTES))
        audit_record(actor=user, action="petrol_pin.created", obj=pin, request=request,
                     after={"quota_id": quota.pk, "quantity": quantity,
                            "expires_at": pin.expires_at.isoformat()})
    return pin


def held_at_counter(now):
    """For a PIN queryset: the PIN has a reservation whose seats are still held (its claim
    ACTIVE and unexpired), whatever the sweep has recorded yet."""
    return Exists(PetrolReservation.objects.filter(
        pin=OuterRef("pk"), status__in=LIVE_RESERVATION, claim__status=ClaimStatus.ACTIVE,
        claim__expires_at__gt=now))


def pins_pending(quota: Quota, now):
    """Live PINs whose seats are promised but not held at a counter."""
    return (PetrolPin.objects.filter(quota=quota, status=PinStatus.ACTIVE, expires_at__gt=now)
            .exclude(held_at_counter(now)))


def petrol_available(quota: Quota, now) -> int:
    """Seats a new PIN may still promise: the quota's free seats less the pending PINs'."""
    pending = pins_pending(quota, now).aggregate(n=Sum("quantity"))["n"] or 0
    return free_seats(quota).count() - pending


def _fan_limit_check(user, quota: Quota, quantity: int, now) -> None:
    limit = settings.MAX_TICKETS_PER_FAN_PER_MATCH
    promised = (PetrolPin.objects.filter(user=user, match_id=quota.match_id,
                                         status=PinStatus.ACTIVE, expires_at__gt=now)
                .aggregate(n=Sum("quantity"))["n"] or 0)
    already = (tickets_bought(user=user, match=quota.match) + promised
               + tickets_in_cart(user=user, match=quota.match))
    if already + quantity > limit:
        raise ValidationFailed(f"You can have at most {limit} tickets for this match; you "
                               f"already have {already} (PINs included).",
                               code="ticket_limit_reached", field="holders")


def _pin_insert(*, user, quota: Quota, quantity: int, people: list[dict],
                expires_at) -> PetrolPin:
    """A PIN no live PIN has: drawn at random, the partial unique index deciding a clash."""
    for _ in range(PIN_ATTEMPTS):
        try:
            with transaction.atomic():
                return PetrolPin.objects.create(
                    pin=f"{secrets.randbelow(100_000):05d}", user=user, match=quota.match,
                    quota=quota, quantity=quantity, ticket_holders=holders_dump(people),
                    expires_at=expires_at)
        except IntegrityError:
            continue
    raise Conflict("No PIN could be issued just now; try again.", code="pin_busy")


def pins_expire(*, now=None) -> int:
    """The sweep: ACTIVE PINs past their expiry whose seats no counter holds become EXPIRED.
    The rows are locked (a lookup reserving one holds its lock), others' skipped."""
    now = now or timezone.now()
    with transaction.atomic():
        lapsed = lock_rows(PetrolPin.objects.filter(status=PinStatus.ACTIVE,
                                                    expires_at__lte=now)
                           .exclude(held_at_counter(now)), skip_locked=True)
        return PetrolPin.objects.filter(pk__in=[p.pk for p in lapsed]).update(
            status=PinStatus.EXPIRED)


def pins_of(*, user, match_id: int | None = None):
    pins = PetrolPin.objects.filter(user=user).select_related("match")
    return pins.filter(match_id=match_id) if match_id else pins
