"""The station counter (E12-F2, E12-F3). Staff type the fan's PIN: the PIN's seats are taken
from the Petrol quota and RESERVED for 20 minutes as a quota claim made for the fan
(`claim_reserve_for`, the allocation and claim path every quota uses). Staff check the fan's
identity document, take cash or card, and confirm: the claim completes with payment DEFERRED,
so the order and tickets exist and the amount is owed by the petrol partner (a debt of the
Petrol quota's recipient); the fan's app is told. A reservation nobody confirms lapses by
itself (the claim's hold expires; `reservations_expire` records it), or staff cancel it.

Wrong PINs are counted per staff account and per station with django-ratelimit; past either
limit a lookup is refused with 429 until the period ends, and the lockout is audited.

Locks, in order: the Petrol quota's root row, then the PIN or reservation row. Confirm, expiry
and cancellation all take the root lock first, so a reservation ends as a sale or a release,
never both."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_ratelimit.core import get_usage

from core.audit import audit_record
from core.errors import Conflict, Forbidden, NotFound, TooManyRequests, ValidationFailed
from core.locks import lock_one
from core.notifications import push_send
from quotas.models import ClaimStatus, Quota
from quotas.petrol.models import (
    LIVE_RESERVATION,
    PIN_STATUS,
    RESERVATION_STATUS,
    PaymentMethod,
    PetrolPin,
    PetrolReservation,
    PetrolSale,
    PetrolStation,
    PinStatus,
    ReservationStatus,
)
from quotas.services.claims import claim_complete_for, claim_reserve_for, holders_load
from quotas.services.common import claim_release, recipient_account, root_lock


@dataclass
class Counter:
    reservation: PetrolReservation
    holders: list[dict]


def staff_station(staff) -> PetrolStation:
    member = getattr(staff, "petrol_staff", None)
    if member is None or not member.station.is_active:
        raise Forbidden("This account is not assigned to an open petrol station.",
                        code="no_station")
    return member.station


# --- wrong PINs -------------------------------------------------------------------------------

def _limits(staff, station: PetrolStation) -> list[tuple[str, str, str]]:
    return [("petrol-pin-staff", f"staff:{staff.pk}", settings.PETROL_PIN_FAILURES_PER_STAFF),
            ("petrol-pin-station", f"station:{station.pk}",
             settings.PETROL_PIN_FAILURES_PER_STATION)]


def _usage(request, group: str, key: str, rate: str, *, increment: bool) -> dict:
    return get_usage(request, group=group, key=lambda _group, _request: key, rate=rate,
                     increment=increment)


def _lookups_open(request, staff, station: PetrolStation) -> None:
    for group, key, rate in _limits(staff, station):
        usage = _usage(request, group, key, rate, increment=False)
        if usage and usage["count"] >= usage["limit"]:
            raise TooManyRequests(
                "Too many wrong PINs from this " + ("account" if "staff" in group else
                                                    "station") + "; try again later.",
                retry_after=max(int(usage["time_left"]), 1))


def _lookup_failed(request, staff, station: PetrolStation, pin: str) -> None:
    for group, key, rate in _limits(staff, station):
        usage = _usage(request, group, key, rate, increment=True)
        if usage and usage["count"] == usage["limit"]:
            audit_record(actor=staff, action="petrol_pin.lockout", object_type="petrol.station",
                         object_id=station.pk, request=request,
                         after={"limit": group, "rate": rate, "last_pin": pin[:2] + "***"})


# --- the counter ------------------------------------------------------------------------------

def pin_lookup(*, staff, pin: str, request) -> Counter:
    """The fan's PIN at the counter: its holders and seats, reserved for 20 minutes (the live
    reservation again when the PIN was looked up already)."""
    station = staff_station(staff)
    _lookups_open(request, staff, station)
    now = timezone.now()
    found = (PetrolPin.objects.select_related("quota__match", "user")
             .filter(pin=pin.strip(), status=PinStatus.ACTIVE).first())
    if found is None or (found.expires_at <= now and not _live(found)):
        _lookup_failed(request, staff, station, pin)
        raise NotFound("No live PIN with these digits: check them with the fan.",
                       code="pin_not_found", field="pin")
    with transaction.atomic():
        root_lock(found.quota, now)  # releases lapsed reservations' claims first
        reservations_settle(found)
        pin_row = lock_one(PetrolPin.objects.filter(pk=found.pk))
        if pin_row.status != PinStatus.ACTIVE:
            raise Conflict(f"This PIN is {pin_row.status}.", code="pin_not_active", field="pin")
        reservation = _live(pin_row)
        if reservation is not None and reservation.station_id != station.pk:
            raise Conflict("This PIN is being served at another station.",
                           code="pin_elsewhere", field="pin")
        if reservation is None and pin_row.expires_at <= now:
            raise NotFound("This PIN has expired: the fan makes a new one in the app.",
                           code="pin_not_found", field="pin")
        if reservation is None:
            until = now + timedelta(minutes=settings.PETROL_RESERVATION_MINUTES)
            claim = claim_reserve_for(quota=found.quota, buyer=found.user,
                                      holders=holders_load(found.ticket_holders), actor=staff,
                                      until=until, reason=f"petrol PIN {found.pk}")
            reservation = PetrolReservation.objects.create(
                pin=pin_row, claim=claim, staff=staff, station=station, seats=claim.quantity,
                expires_at=until)
            audit_record(actor=staff, action="petrol_reservation.created", obj=reservation,
                         request=request, after={"pin_id": found.pk, "claim_id": claim.pk,
                                                 "seats": claim.quantity,
                                                 "expires_at": until.isoformat()})
    return counter(reservation)


def counter(reservation: PetrolReservation) -> Counter:
    reservation = (PetrolReservation.objects
                   .select_related("pin__user__profile", "pin__match", "claim")
                   .get(pk=reservation.pk))
    return Counter(reservation=reservation, holders=holders_load(reservation.pin.ticket_holders))


def counter_at(*, staff, reservation_id: int) -> Counter:
    """A live reservation of the staff member's station, for its page (404 elsewhere and once
    it is over: the fan's data is shown only while they are at the counter)."""
    found = PetrolReservation.objects.filter(pk=reservation_id, station=staff_station(staff),
                                             status__in=LIVE_RESERVATION).first()
    if found is None:
        raise NotFound("No such reservation at this station.", code="reservation_not_found")
    return counter(found)


def reservation_verify(*, staff, reservation_id: int, request=None) -> Counter:
    """Staff have checked the fan's identity document against the holders."""
    with transaction.atomic():
        reservation = _reservation_locked(reservation_id, staff)
        RESERVATION_STATUS.move(reservation, ReservationStatus.IDENTITY_VERIFIED,
                                identity_verified_at=timezone.now())
        reservation.save(update_fields=["status", "identity_verified_at"])
        audit_record(actor=staff, action="petrol_reservation.identity_verified",
                     obj=reservation, request=request)
    return counter(reservation)


def reservation_confirm(*, staff, reservation_id: int, payment_method: str,
                        payment_reference: str, request=None) -> PetrolSale:
    """The fan paid at the counter: order and tickets, the sale recorded, the amount owed by
    the partner, the fan told. 409 if the reservation lapsed or was confirmed already."""
    if payment_method not in PaymentMethod.values:
        raise ValidationFailed("Say how the fan paid: CASH or CARD.", field="payment_method",
                               code="invalid_payment_method")
    if not payment_reference.strip():
        raise ValidationFailed("Give the receipt or card slip number.",
                               field="payment_reference", code="payment_reference_required")
    with transaction.atomic():
        reservation = _reservation_locked(reservation_id, staff)
        if reservation.status != ReservationStatus.IDENTITY_VERIFIED:
            raise Conflict("Check the fan's identity document before taking the payment.",
                           code="identity_not_verified")
        claim = claim_complete_for(claim_id=reservation.claim_id, actor=staff,
                                   debtor=_partner_account(reservation.pin.quota))
        now = timezone.now()
        RESERVATION_STATUS.move(reservation, ReservationStatus.COMPLETED, completed_at=now)
        reservation.save(update_fields=["status", "completed_at"])
        pin = reservation.pin
        PIN_STATUS.move(pin, PinStatus.USED, used_at=now)
        pin.save(update_fields=["status", "used_at"])
        sale = PetrolSale.objects.create(
            reservation=reservation, order=claim.order, station=reservation.station,
            payment_method=payment_method, payment_reference=payment_reference.strip(),
            total_amount=claim.total_amount, processed_by=staff)
        audit_record(actor=staff, action="petrol_sale.completed", obj=sale, request=request,
                     after={"order": claim.order.number, "amount": str(sale.total_amount),
                            "payment_method": payment_method,
                            "station": reservation.station.code})
        push_send(user=pin.user, notification_type="petrol_tickets",
                  title="Your tickets are in the app",
                  body=f"{claim.quantity} ticket(s) for {pin.match}: order {claim.order.number}",
                  data={"order_id": str(claim.order_id)})
    return sale


def pin_confirm(*, staff, pin: str, payment_method: str, payment_reference: str,
                request=None) -> PetrolSale:
    """`reservation_confirm` of the PIN's live reservation at the staff member's station."""
    reservation_id = (PetrolReservation.objects
                      .filter(pin__pin=pin.strip(), status__in=LIVE_RESERVATION,
                              station=staff_station(staff))
                      .values_list("pk", flat=True).first())
    if reservation_id is None:
        raise NotFound("No reservation for this PIN here: look it up first.",
                       code="reservation_not_found")
    return reservation_confirm(staff=staff, reservation_id=reservation_id,
                               payment_method=payment_method,
                               payment_reference=payment_reference, request=request)


def reservation_cancel(*, staff, reservation_id: int, reason: str = "",
                       request=None) -> PetrolReservation:
    """Release the seats to the Petrol quota at once; the PIN stays usable until it expires."""
    with transaction.atomic():
        reservation = _reservation_locked(reservation_id, staff)
        claim_release(reservation.claim, to_status=ClaimStatus.ABANDONED,
                      reason=reason or "cancelled at the station", actor=staff)
        RESERVATION_STATUS.move(reservation, ReservationStatus.CANCELLED, cancelled_by=staff,
                                cancellation_reason=reason[:255])
        reservation.save(update_fields=["status", "cancelled_by", "cancellation_reason"])
        audit_record(actor=staff, action="petrol_reservation.cancelled", obj=reservation,
                     request=request, after={"reason": reason})
    return reservation


def reservations_settle(pin: PetrolPin) -> int:
    """The PIN's live reservations whose claim is over (lapsed): EXPIRED. Under the root lock."""
    return (PetrolReservation.objects.filter(pin=pin, status__in=LIVE_RESERVATION)
            .exclude(claim__status=ClaimStatus.ACTIVE)
            .update(status=ReservationStatus.EXPIRED))


def reservations_expire(*, limit: int = 200) -> int:
    """The sweep (every 30 s): lapsed reservations give their seats back to the Petrol quota
    and become EXPIRED."""
    now = timezone.now()
    lapsed = (PetrolReservation.objects.filter(status__in=LIVE_RESERVATION,
                                               expires_at__lte=now)
              .select_related("pin__quota")[:limit])
    done = 0
    for reservation in lapsed:
        with transaction.atomic():
            root_lock(reservation.pin.quota, now)  # the claim's seats go back here
            done += reservations_settle(reservation.pin)
    return done


def _live(pin: PetrolPin) -> PetrolReservation | None:
    return pin.reservations.filter(status__in=LIVE_RESERVATION).first()


def _reservation_locked(reservation_id: int, staff) -> PetrolReservation:
    """The reservation at the staff member's station, under its quota's root lock, then its
    own; 404 elsewhere, 409 once it is over."""
    station = staff_station(staff)
    found = (PetrolReservation.objects.select_related("pin__quota")
             .filter(pk=reservation_id, station=station).first())
    if found is None:
        raise NotFound("No such reservation at this station.", code="reservation_not_found")
    root_lock(found.pin.quota)
    reservations_settle(found.pin)
    reservation = lock_one(PetrolReservation.objects.select_related(
        "pin__quota__match", "pin__user", "station", "claim").filter(pk=reservation_id))
    if reservation.status not in LIVE_RESERVATION:
        raise Conflict(f"This reservation is {reservation.status}.",
                       code="reservation_over")
    return reservation


def _partner_account(quota: Quota):
    """Who owes the Petrol quota's takings: the partner's account (made for its email, without
    a password, the first time a station sells)."""
    if quota.recipient_user_id:
        return quota.recipient_user
    account = recipient_account(quota.recipient_email)
    if account is None:  # no password: it never signs in
        account = get_user_model().objects.create_user(quota.recipient_email)
    Quota.objects.filter(pk=quota.pk).update(recipient_user=account)
    return account
