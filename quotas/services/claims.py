"""Claiming a quota in three steps (E7-F5), the same for quotas and subquotas, portal and app:

1. `claim_select`: choose seats (cards) or, for a non-numbered match, a quantity. The seats are
   the claim's until it lapses (QUOTA_CLAIM_MINUTES); nobody else can select them meanwhile.
2. `claim_holders`: one ticket holder per seat (profile, OIB and blacklist rules of checkout);
   the seats become RESERVED (in the inventory too, held by `claim:<id>`, returning to ALLOCATED
   if the claim lapses). A free quota (100 %, GR) completes here: step 3 is skipped.
3. `claim_payment`: pay the price less the quota discount plus fee and VAT through `payments`
   (reference `claim:<id>`); the webhook completes it (`claim_payment_succeeded`). A quota with
   deferred payment completes at once with payment DEFERRED and a debt for the amount.

Completing sells the seats, records a COMPLETED order with tickets (ticketing.direct_orders)
and marks the quota seats SOLD. A payment that arrives after the claim lapsed or was cancelled
is refunded; nothing is ever sold twice (everything runs under the root quota lock)."""

import json
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accessctl.models import ViolationAction
from accessctl.services.check import blacklist_check, blacklist_listed
from core.audit import audit_record
from core.errors import Conflict, NotFound
from core.locks import lock_first, lock_one
from core.pii import keyed_hash
from core.transactions import enqueue_on_commit
from payments.models import Payment
from payments.pricing import line_amounts, order_amounts
from payments.services import debt_record, payment_local_complete, payment_start
from payments.tasks import payment_refund_all
from quotas.models import (
    CLAIM_REFERENCE_PREFIX,
    ClaimPaymentStatus,
    ClaimStatus,
    ClaimStep,
    Quota,
    QuotaClaim,
    QuotaSeat,
    QuotaSeatStatus,
    QuotaStatus,
)
from quotas.services.common import (
    claim_release,
    claims_release_lapsed,
    free_seats_take,
    quota_for_holder,
    root_lock,
    selection_check,
    status_refresh,
    sync_notify,
)
from seating.models import MatchStatus, PriceCategory, SeatInventory, SeatStatus
from seating.services.inventory import seats_transition
from seating.services.matches import match_status_shared
from ticketing.models import OrderSource
from ticketing.services.direct_orders import DirectLine, order_record_completed
from ticketing.services.holders import claim_holders_resolve

CLAIMABLE = {QuotaStatus.ACTIVE, QuotaStatus.ALLOCATED, QuotaStatus.RESERVED}
REFERENCE_PREFIX = CLAIM_REFERENCE_PREFIX


@dataclass
class PaymentStep:
    claim: QuotaClaim
    payment: Payment | None  # None when nothing is charged (free or deferred)


# --- helpers ----------------------------------------------------------------------------------

def claim_id_from_reference(reference: str) -> int | None:
    prefix, _, rest = (reference or "").partition(REFERENCE_PREFIX)
    return int(rest) if not prefix and rest.isdigit() else None


def _match_cancelled() -> Conflict:
    return Conflict("This match is cancelled; no tickets are issued for it.",
                    code="match_cancelled")


def _match_open(quota: Quota) -> None:
    """The early, unlocked answer; completion checks again under the match's share lock."""
    if quota.match.status == MatchStatus.CANCELLED:
        raise _match_cancelled()


def _claimable(quota: Quota) -> None:
    _match_open(quota)
    if quota.status not in CLAIMABLE:
        raise Conflict(f"This quota is {quota.status.lower().replace('_', ' ')}; nothing is "
                       "left to claim.", code="quota_not_claimable")


def _live_claim(*, quota: Quota, user, claim_id: int | None, steps: set[str]) -> QuotaClaim:
    """The user's live claim on the quota (the latest when no id is given), locked."""
    claims = QuotaClaim.objects.filter(quota=quota, user=user)
    claim = (lock_first(claims.filter(pk=claim_id)) if claim_id
             else lock_first(claims.filter(status=ClaimStatus.ACTIVE), latest=True))
    if claim is None:
        raise NotFound("No claim in progress; select your tickets first.",
                       code="claim_not_found", field="claim_id")
    if claim.status != ClaimStatus.ACTIVE:
        raise Conflict(f"This claim is {claim.status.lower()}; select your tickets again.",
                       code="claim_not_active")
    if claim.step not in steps:
        raise Conflict("This step does not follow where the claim is "
                       f"({claim.step.lower().replace('_', ' ')}).", code="claim_wrong_step")
    return claim


def holders_dump(holders: list[dict]) -> str:
    rows = []
    for holder in holders:
        row = {k: v for k, v in holder.items() if k != "saved_profile"}
        row["saved_profile_id"] = holder["saved_profile"].pk if holder.get("saved_profile") \
            else None
        row["date_of_birth"] = holder["date_of_birth"].isoformat()
        rows.append(row)
    return json.dumps(rows)


def holders_load(text: str) -> list[dict]:
    """Holders stored by `holders_dump` (a claim's, a petrol PIN's)."""
    rows = json.loads(text or "[]")
    for row in rows:
        row["date_of_birth"] = date.fromisoformat(row["date_of_birth"])
    return rows


def _prices(seats: list[QuotaSeat]) -> dict[int, PriceCategory]:
    """Each seat's price category, through its match sector (every sector is priced once the
    match configuration is validated)."""
    categories = {}
    for seat in seats:
        category = seat.match_sector.price_category
        if category is None:
            raise Conflict(f"Sector {seat.match_sector.code} has no price yet; ask the "
                           "federation.", code="sector_unpriced")
        categories[seat.id] = category
    return categories


def _amounts(quota: Quota, seats: list[QuotaSeat]):
    prices = _prices(seats)
    lines = [line_amounts(unit_price=prices[s.id].price, quantity=1,
                          discount_percent=quota.discount_percent) for s in seats]
    return order_amounts(lines=lines, match_type=quota.match.match_type,
                         fee_percent=quota.match.fee_percent), lines, prices


def _claim_seats(claim: QuotaClaim) -> list[QuotaSeat]:
    return list(claim.seats.select_related("match_sector__price_category",
                                           "inventory").order_by("id"))


# --- step 1 -----------------------------------------------------------------------------------

def claim_select(*, user, quota_id: int, seat_ids: list[int] | None = None,
                 quantity: int | None = None, claim_id: int | None = None) -> QuotaClaim:
    """Select seats (numbered) or a quantity (non-numbered) for a new claim, or change the
    selection of the user's claim `claim_id` while it is still at step 1."""
    quota = quota_for_holder(user=user, quota_id=quota_id)
    _claimable(quota)
    selection_check(quota, seat_ids, quantity, purpose="claim")
    now = timezone.now()
    with transaction.atomic():
        root_lock(quota, now)
        quota.refresh_from_db()
        _claimable(quota)
        claim = None
        if claim_id:
            claim = _live_claim(quota=quota, user=user, claim_id=claim_id,
                                steps={ClaimStep.SEATS_SELECTED})
            QuotaSeat.objects.filter(claim=claim).update(claim=None)
        chosen = free_seats_take(quota, seat_ids, quantity, purpose="claim")
        expires = now + timedelta(minutes=settings.QUOTA_CLAIM_MINUTES)
        if claim is None:
            claim = QuotaClaim.objects.create(quota=quota, user=user, quantity=len(chosen),
                                              expires_at=expires)
        else:
            claim.quantity, claim.expires_at = len(chosen), expires
            claim.save(update_fields=["quantity", "expires_at", "updated_at"])
        QuotaSeat.objects.filter(id__in=[s.id for s in chosen]).update(claim=claim)
        status_refresh(quota)
        sync_notify(quota, "seats_selected", claim_id=claim.pk, count=len(chosen))
    return claim


# --- step 2 -----------------------------------------------------------------------------------

def claim_holders(*, user, quota_id: int, holders: list[dict], claim_id: int | None = None,
                  request=None) -> QuotaClaim:
    """Save one ticket holder per selected seat; the seats become RESERVED. A free quota
    completes here."""
    quota = quota_for_holder(user=user, quota_id=quota_id)
    _match_open(quota)
    with transaction.atomic():  # read the claim's size without holding anything
        claim = _live_claim(quota=quota, user=user, claim_id=claim_id,
                            steps={ClaimStep.SEATS_SELECTED, ClaimStep.HOLDERS_SAVED})
    people = claim_holders_resolve(user=user, given=holders, count=claim.quantity)
    blacklist_check(oibs=[p["oib"] for p in people], user=user, request=request,
                    action=ViolationAction.QUOTA_CLAIM_ATTEMPT, match_id=quota.match_id,
                    reference=claim.hold_owner)
    now = timezone.now()
    with transaction.atomic():
        root_lock(quota, now)
        claim = _live_claim(quota=quota, user=user, claim_id=claim.pk,
                            steps={ClaimStep.SEATS_SELECTED, ClaimStep.HOLDERS_SAVED})
        seats = _claim_seats(claim)
        if len(seats) != claim.quantity:  # cannot happen under the lock; never sell short
            raise Conflict("The selection changed; select your tickets again.",
                           code="selection_changed")
        _holders_save(claim, quota, seats, people)
        if quota.is_free:
            claim.save()
            _complete(claim, seats, payment_status=ClaimPaymentStatus.FREE, now=now)
            return claim
        _seats_reserve(claim, seats, actor=user,
                       until=now + timedelta(minutes=settings.QUOTA_CLAIM_MINUTES),
                       reason="quota claim: holders saved")
        audit_record(actor=user, action="quota_claim.holders_saved", obj=claim, request=request,
                     after={"tickets": len(seats), "total_amount": str(claim.total_amount)})
        status_refresh(quota)
        sync_notify(quota, "seats_reserved", claim_id=claim.pk, count=len(seats))
    return claim


def _holders_save(claim: QuotaClaim, quota: Quota, seats: list[QuotaSeat],
                  people: list[dict]) -> None:
    """The holders and what the seats cost, on the claim (saved by the caller)."""
    amounts, _, _ = _amounts(quota, seats)
    claim.holders = holders_dump(people)
    claim.ticket_amount, claim.ticket_vat_amount = (amounts.ticket_amount,
                                                    amounts.ticket_vat_amount)
    claim.fee_amount, claim.fee_vat_amount = amounts.fee_amount, amounts.fee_vat_amount
    claim.total_amount = amounts.total_amount


def _seats_reserve(claim: QuotaClaim, seats: list[QuotaSeat], *, actor, until,
                   reason: str) -> None:
    """The claim's seats RESERVED until `until` (in the inventory too, held by the claim and
    returning to ALLOCATED when the hold lapses); the claim at step 2, saved."""
    held = [s.inventory_id for s in seats
            if s.status == QuotaSeatStatus.ALLOCATED and s.inventory_id]
    claim.expires_at = until
    if held:
        result = seats_transition(
            inventory_ids=held, to_status=SeatStatus.RESERVED,
            from_statuses={SeatStatus.ALLOCATED}, reason=reason, actor=actor,
            hold_owner=claim.hold_owner, hold_until=until, held_by=claim.user,
            release_to=SeatStatus.ALLOCATED)
        if len(result.changed) != len(held):
            raise Conflict("A seat of this claim changed meanwhile; select again.",
                           code="seat_changed")
    # Holders saved again before paying: those seats are RESERVED already; extend the hold.
    SeatInventory.objects.filter(hold_owner=claim.hold_owner,
                                 status=SeatStatus.RESERVED).update(hold_expires_at=until)
    QuotaSeat.objects.filter(claim=claim).update(status=QuotaSeatStatus.RESERVED)
    claim.step = ClaimStep.HOLDERS_SAVED
    claim.save()


def claim_reserve_for(*, quota: Quota, buyer, holders: list[dict], actor, until,
                      reason: str) -> QuotaClaim:
    """Steps 1 and 2 at once, by a seller for `buyer` (a petrol station's staff for a fan):
    the quota's first free seats, one per holder (validated, blacklist-checked), RESERVED
    until `until`. Runs in the caller's transaction, under the root lock it takes here."""
    _claimable(quota)
    root_lock(quota)
    quota.refresh_from_db()
    _claimable(quota)
    chosen = free_seats_take(quota, None, len(holders), purpose="sell")
    claim = QuotaClaim.objects.create(quota=quota, user=buyer, quantity=len(chosen),
                                      expires_at=until)
    QuotaSeat.objects.filter(id__in=[s.id for s in chosen]).update(claim=claim)
    seats = _claim_seats(claim)
    _holders_save(claim, quota, seats, holders)
    _seats_reserve(claim, seats, actor=actor, until=until, reason=reason)
    audit_record(actor=actor, action="quota_claim.reserved_for", obj=claim,
                 after={"buyer_id": buyer.pk, "tickets": len(seats),
                        "total_amount": str(claim.total_amount)})
    status_refresh(quota)
    sync_notify(quota, "seats_reserved", claim_id=claim.pk, count=len(seats))
    return claim


def claim_complete_for(*, claim_id: int, actor, debtor) -> QuotaClaim:
    """Complete a claim made by `claim_reserve_for` with payment DEFERRED, `debtor` owing the
    amount (the petrol partner, who took the fan's money). 409 once the hold has lapsed.
    Runs in the caller's transaction, under the root lock it takes here."""
    claim = QuotaClaim.objects.select_related("quota").get(pk=claim_id)
    root_lock(claim.quota)
    claim = QuotaClaim.objects.select_related("quota__match", "user").get(pk=claim_id)
    seats = _claim_seats(claim)
    if claim.status != ClaimStatus.ACTIVE or not _still_held(claim, seats, timezone.now()):
        raise Conflict("The reservation has lapsed: its seats went back to the quota.",
                       code="reservation_lapsed")
    _complete(claim, seats, payment_status=ClaimPaymentStatus.DEFERRED, now=timezone.now(),
              debtor=debtor, actor=actor)
    return claim


# --- step 3 -----------------------------------------------------------------------------------

def claim_payment(*, user, quota_id: int, claim_id: int | None = None,
                  request=None) -> PaymentStep:
    """Pay for the claim (or, with deferred payment, complete it now with the amount owed)."""
    quota = quota_for_holder(user=user, quota_id=quota_id)
    if quota.is_free:
        raise Conflict("This quota is free: the tickets are issued once the ticket holders are "
                       "saved, with no payment.", code="payment_not_needed")
    _match_open(quota)
    now = timezone.now()
    with transaction.atomic():
        root_lock(quota, now)
        claim = _live_claim(quota=quota, user=user, claim_id=claim_id,
                            steps={ClaimStep.HOLDERS_SAVED, ClaimStep.PAYMENT_STARTED})
        if quota.deferred_payment:
            _complete(claim, _claim_seats(claim), payment_status=ClaimPaymentStatus.DEFERRED,
                      now=now)
            return PaymentStep(claim=claim, payment=None)
        if claim.payment_status == ClaimPaymentStatus.FAILED:
            claim.payment_attempt += 1
        claim.step, claim.payment_status = ClaimStep.PAYMENT_STARTED, ClaimPaymentStatus.PENDING
        claim.save(update_fields=["step", "payment_status", "payment_attempt", "updated_at"])
        audit_record(actor=user, action="quota_claim.payment_started", obj=claim,
                     request=request, after={"attempt": claim.payment_attempt,
                                             "total_amount": str(claim.total_amount)})
    payment = payment_start(reference=claim.payment_reference, amount=claim.total_amount,
                            idempotency_key=claim.payment_idempotency_key)
    return PaymentStep(claim=claim, payment=payment)


def claim_for_user(*, user, claim_id: int) -> QuotaClaim:
    claim = QuotaClaim.objects.filter(pk=claim_id, user=user).first()
    if claim is None:
        raise NotFound("No such claim.", code="claim_not_found")
    return claim


def claim_pay_local(*, user, claim_id: int) -> QuotaClaim:
    """The embedded demo's pay button: completes the local payment through the webhook path."""
    if settings.PAYMENTS_PROVIDER != "local" or not settings.PAYMENTS_LOCAL_ENABLED:
        raise NotFound("Not found.")
    claim = claim_for_user(user=user, claim_id=claim_id)
    payment = Payment.objects.filter(idempotency_key=claim.payment_idempotency_key).first()
    if payment is None or claim.step != ClaimStep.PAYMENT_STARTED:
        raise Conflict("Start the payment first.", code="payment_not_started")
    payment_local_complete(payment=payment)
    claim.refresh_from_db()
    return claim


# --- completion -------------------------------------------------------------------------------

def _completion_refused(claim: QuotaClaim) -> str:
    """Why the claim may no longer become tickets ("" when it may): its match was cancelled
    (read under the match's share lock), or a holder was blacklisted since step 2."""
    if match_status_shared(claim.quota.match_id) == MatchStatus.CANCELLED:
        return "match cancelled"
    hashes = [keyed_hash(h.get("oib") or "") for h in holders_load(claim.holders)]
    if blacklist_listed(oib_hashes=hashes):
        return "a ticket holder is on the blacklist"
    return ""


def _complete(claim: QuotaClaim, seats: list[QuotaSeat], *, payment_status: str, now,
              payment: Payment | None = None, debtor=None, actor=None) -> None:
    """Sell the claim's seats, record the order with its tickets, close the claim. Needs the
    root lock and a claim whose seats are all still its own; refused (409) when
    `_completion_refused` gives a reason. A deferred payment is owed by `debtor` (the
    claimer unless told); `actor` is who completes it (the claimer unless told)."""
    actor = actor or claim.user
    quota = claim.quota
    refused = _completion_refused(claim)
    if refused:
        raise Conflict(f"No tickets can be issued: {refused}.", code=(
            "match_cancelled" if refused == "match cancelled" else "blacklisted"))
    inventory_ids = sorted(s.inventory_id for s in seats if s.inventory_id)
    if inventory_ids:
        result = seats_transition(
            inventory_ids=inventory_ids, to_status=SeatStatus.SOLD,
            from_statuses={SeatStatus.RESERVED, SeatStatus.ALLOCATED},
            reason="quota claim completed", actor=actor, hold_owner=claim.hold_owner)
        if len(result.changed) != len(inventory_ids):  # cannot happen under the root lock
            raise Conflict("A seat of this claim changed meanwhile.", code="seat_changed")
    amounts, lines, prices = _amounts(quota, seats)
    holders = holders_load(claim.holders)
    debt = None
    if payment_status == ClaimPaymentStatus.DEFERRED:
        debt = debt_record(debtor=debtor or claim.user, reference=claim.payment_reference,
                           amount=amounts.total_amount,
                           description=f"Quota tickets for {quota.match}, claim {claim.pk}")
    order, tickets = order_record_completed(
        buyer=claim.user, match=quota.match, amounts=amounts, source=OrderSource.QUOTA,
        now=now, payment=payment, debt=debt, transfer_allowed=quota.transfer_allowed,
        reference=claim.payment_reference, lines=[
            DirectLine(match_sector_id=seat.match_sector_id,
                       price_category_id=prices[seat.id].pk, unit_price=line.unit_amount,
                       holder=holder, inventory_id=seat.inventory_id, ga_hold_id=seat.ga_hold_id)
            for seat, line, holder in zip(seats, lines, holders, strict=True)])
    for seat, ticket in zip(seats, tickets, strict=True):
        seat.status, seat.ticket, seat.claimed_at = QuotaSeatStatus.SOLD, ticket, now
    QuotaSeat.objects.bulk_update(seats, ["status", "ticket", "claimed_at"])
    claim.status, claim.step, claim.payment_status = (ClaimStatus.COMPLETED, ClaimStep.DONE,
                                                      payment_status)
    claim.order, claim.completed_at = order, now
    claim.save()
    audit_record(actor=actor, action="quota_claim.completed", obj=claim,
                 after={"order": order.number, "tickets": len(tickets),
                        "payment_status": payment_status})
    status_refresh(quota)
    sync_notify(quota, "seats_sold", claim_id=claim.pk, count=len(tickets))


def claim_payment_succeeded(*, payment: Payment) -> QuotaClaim | None:
    """Complete the claim the payment is for, once; refund a payment that came too late (the
    claim lapsed or was cancelled) or twice."""
    claim_id = claim_id_from_reference(payment.reference)
    claim = QuotaClaim.objects.select_related("quota").filter(pk=claim_id).first()
    if claim is None:
        return None
    refund_reason = ""
    now = timezone.now()
    with transaction.atomic():
        lock_one(Quota.objects.filter(pk=claim.quota.root_id))  # the root lock
        claim = QuotaClaim.objects.select_related("quota__match", "order").get(pk=claim.pk)
        seats = _claim_seats(claim)
        if claim.status == ClaimStatus.COMPLETED:
            if claim.order and claim.order.payment_id == payment.pk:
                return claim  # a replay: the tickets exist already
            refund_reason = "duplicate payment for a completed quota claim"
        elif claim.status == ClaimStatus.ACTIVE and (refused := _completion_refused(claim)):
            claim_release(claim, to_status=ClaimStatus.EXPIRED, reason=refused)
            refund_reason = refused
        elif claim.status != ClaimStatus.ACTIVE or not _still_held(claim, seats, now):
            if claim.status == ClaimStatus.ACTIVE:
                claim_release(claim, to_status=ClaimStatus.EXPIRED,
                              reason="claim expired before payment")
            refund_reason = "quota claim lapsed before payment"
        else:
            _complete(claim, seats, payment_status=ClaimPaymentStatus.PAID, now=now,
                      payment=payment)
    if refund_reason:
        enqueue_on_commit(payment_refund_all, payment.pk, refund_reason)
    return claim


def _still_held(claim: QuotaClaim, seats: list[QuotaSeat], now) -> bool:
    """Every seat RESERVED for this claim, and its hold (inventory) unexpired."""
    if claim.expires_at <= now or len(seats) != claim.quantity:
        return False
    if any(s.status != QuotaSeatStatus.RESERVED for s in seats):
        return False
    return all(s.inventory.status == SeatStatus.RESERVED
               and s.inventory.hold_owner == claim.hold_owner
               and s.inventory.hold_expires_at and s.inventory.hold_expires_at > now
               for s in seats if s.inventory_id)


def claim_payment_failed(*, payment: Payment) -> QuotaClaim | None:
    """The current attempt failed: the holder may pay again while the claim lasts."""
    claim_id = claim_id_from_reference(payment.reference)
    with transaction.atomic():
        claim = lock_first(QuotaClaim.objects.filter(pk=claim_id))
        if (claim is None or claim.status != ClaimStatus.ACTIVE
                or payment.idempotency_key != claim.payment_idempotency_key):
            return claim
        claim.payment_status = ClaimPaymentStatus.FAILED
        claim.save(update_fields=["payment_status", "updated_at"])
        sync_notify(claim.quota, "payment_failed", claim_id=claim.pk)
    return claim


def claims_expire(*, limit: int = 500) -> int:
    """The periodic sweep: claims whose hold lapsed give their seats back (ALLOCATED)."""
    now = timezone.now()
    lapsed = (QuotaClaim.objects.filter(status=ClaimStatus.ACTIVE, expires_at__lte=now)
              .select_related("quota")[:limit])
    roots = {claim.quota.root_id for claim in lapsed}
    released = 0
    for root_id in roots:
        with transaction.atomic():
            root = lock_one(Quota.objects.filter(pk=root_id))
            released += claims_release_lapsed(root=root, now=now)
            sync_notify(root, "claims_expired")
    return released
