"""What every quota write shares: the status machines, the lock, lapsed claims, access, sync.

Locking: every write on a quota or any of its subquotas first locks the ROOT quota's row
(`root_lock`), then releases its lapsed claims, then works. Claims, delegations, retractions,
cancellations and payment outcomes of one quota family therefore run one at a time, and the
seat inventory rows are only locked after the root (never the other way round)."""

from collections import Counter
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_one, lock_rows
from core.status import StatusMachine
from core.transactions import broadcast_on_commit
from payments.outcomes import payment_success_pending
from quotas.models import (
    CLAIM_REFERENCE_PREFIX,
    ClaimStatus,
    MagicLink,
    Quota,
    QuotaClaim,
    QuotaSeat,
    QuotaSeatStatus,
    QuotaStatus,
    QuotaType,
)
from seating.models import SeatInventory, SeatStatus
from seating.services.allocation import holds_release

Q_ = QuotaStatus
ROOT_STATUS = StatusMachine("quota", {
    Q_.ACTIVE: {Q_.FULLY_CLAIMED, Q_.CANCELLED},
    Q_.FULLY_CLAIMED: {Q_.ACTIVE, Q_.CANCELLED},  # ACTIVE again after a refund
    Q_.CANCELLED: set(),
})
SUBQUOTA_STATUS = StatusMachine("subquota", {
    Q_.ALLOCATED: {Q_.RESERVED, Q_.SOLD, Q_.RETRACTED, Q_.CANCELLED},
    Q_.RESERVED: {Q_.ALLOCATED, Q_.SOLD, Q_.CANCELLED},
    Q_.SOLD: {Q_.RESERVED, Q_.CANCELLED},
    Q_.RETRACTED: set(),
    Q_.CANCELLED: set(),
})
CLOSED_STATUSES = frozenset({Q_.CANCELLED, Q_.RETRACTED})


def quota_transition(quota: Quota, to_status: str, *, actor=None, reason: str = "",
                     **fields) -> None:
    from_status = quota.status
    if from_status == to_status and not fields:
        return
    if from_status != to_status:
        (SUBQUOTA_STATUS if quota.is_subquota else ROOT_STATUS).check(from_status, to_status)
    quota.status = to_status
    for name, value in fields.items():
        setattr(quota, name, value)
    quota.save(update_fields=["status", *fields, "updated_at"])
    if to_status in CLOSED_STATUSES:  # its invitation links stop working (magic_links)
        MagicLink.objects.filter(quota=quota, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
    if from_status != to_status:
        audit_record(actor=actor, action=f"quota.{to_status.lower()}", obj=quota,
                     before={"status": from_status}, after={"status": to_status,
                                                            "reason": reason})


# --- reading ----------------------------------------------------------------------------------

def own_seats(quota: Quota):
    """The seats a quota holds itself: a root's undelegated seats, a subquota's delegated ones."""
    if quota.is_subquota:
        return QuotaSeat.objects.filter(subquota=quota)
    return QuotaSeat.objects.filter(quota=quota, subquota__isnull=True)


def free_seats(quota: Quota):
    """Own seats nobody is claiming: ALLOCATED and not selected by a live claim."""
    return own_seats(quota).filter(status=QuotaSeatStatus.ALLOCATED, claim__isnull=True)


def selection_check(quota: Quota, seat_ids, quantity, *, purpose: str) -> None:
    """Cards (numbered match) or a quantity (standing) must be given; `purpose` is "claim" or
    "send", for the messages."""
    if quota.match.is_numbered and not seat_ids:
        raise ValidationFailed(f"Select at least one ticket to {purpose}.", code="no_seats",
                               field="seat_ids")
    if not quota.match.is_numbered and (not isinstance(quantity, int) or quantity < 1):
        raise ValidationFailed(f"Choose how many tickets to {purpose} (at least 1).",
                               code="invalid_quantity", field="quantity")


def free_seats_take(quota: Quota, seat_ids, quantity, *, purpose: str) -> list[QuotaSeat]:
    """Lock and return the chosen free seats of the quota (by id; without ids, the first
    `quantity`, in the order they were allocated, so adjacent where they were); 409 naming what
    someone else took meanwhile. Needs the root lock."""
    available = free_seats(quota)
    if seat_ids is not None and quota.match.is_numbered:
        wanted = sorted(set(seat_ids))
        chosen = lock_rows(available.filter(id__in=wanted))
        taken = sorted(set(wanted) - {s.id for s in chosen})
        if taken:
            raise Conflict(
                f"{len(taken)} of the selected tickets are no longer available (claimed or sent "
                "meanwhile); refresh and select again.", code="seats_unavailable",
                fields={"seat_ids": [str(i) for i in taken]})
        return chosen
    chosen = lock_rows(available, limit=quantity)
    if len(chosen) < quantity:
        raise Conflict(f"Only {len(chosen)} ticket(s) are left to {purpose}.",
                       code="seats_unavailable", field="quantity")
    return chosen


def seat_counts(quota: Quota) -> dict[str, int]:
    """ALLOCATED / RESERVED / SOLD / CANCELLED of the quota's own seats, plus DELEGATED (seats
    in live subquotas, whatever their state there) for a root."""
    counts = Counter(own_seats(quota).values_list("status", flat=True))
    result = {status: counts.get(status, 0) for status in QuotaSeatStatus.values}
    if not quota.is_subquota:
        result["DELEGATED"] = (QuotaSeat.objects.filter(quota=quota, subquota__isnull=False)
                               .exclude(status=QuotaSeatStatus.CANCELLED).count())
    return result


def expiry_state(quota: Quota, now: datetime, warning_days: int) -> str:
    """"none", "ok", "soon" or "past": the expiration date is only a reminder (E7 scope)."""
    if quota.expires_at is None:
        return "none"
    if quota.expires_at <= now:
        return "past"
    return "soon" if (quota.expires_at - now).days < warning_days else "ok"


# --- access -----------------------------------------------------------------------------------

def is_holder(user, quota: Quota) -> bool:
    return bool(user and user.is_authenticated and (
        quota.recipient_user_id == user.pk
        or quota.recipient_email.lower() == (user.email or "").lower()))


def recipient_account(email: str):
    """The existing account of a recipient's email, or None: a quota addressed to an email
    without an account is bound to it when the account is created (`quotas_bind_account`)."""
    return get_user_model().objects.filter(email__iexact=email).first()


def recipient_user(email: str):
    """The account of an email, created (no password; SSO or magic link only) if none yet."""
    account = recipient_account(email)
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return get_user_model().objects.create_user(email=email)
    except IntegrityError:  # a concurrent sign-in created it first
        return recipient_account(email)


def quotas_bind_account(user) -> int:
    """Bind the quotas addressed to a new account's email that have no account yet."""
    return Quota.objects.filter(recipient_email__iexact=user.email,
                                recipient_user__isnull=True).update(recipient_user=user)


def quota_for_holder(*, user, quota_id: int) -> Quota:
    """The quota, only for its recipient: anyone else's is 404 like a missing one, so quota
    ids cannot be probed. Reads only."""
    quota = (Quota.objects.select_related("match", "parent")
             .filter(pk=quota_id, quota_type=QuotaType.STANDARD).first())
    if quota is None or not is_holder(user, quota):  # Petrol quotas sell only at stations
        raise NotFound("No such quota.", code="quota_not_found")
    return quota


def holder_quotas(user):
    """Every quota and subquota addressed to the user (a Petrol quota's partner has none to
    claim: those seats sell at the stations)."""
    return Quota.objects.filter(Q(recipient_user=user) | Q(recipient_email__iexact=user.email),
                                quota_type=QuotaType.STANDARD)


# --- locking and lapsed claims ----------------------------------------------------------------

def root_lock(quota: Quota, now: datetime | None = None) -> Quota:
    """Lock the root of `quota`'s family and release its lapsed claims. Returns the root."""
    root = lock_one(Quota.objects.filter(pk=quota.root_id))
    claims_release_lapsed(root=root, now=now or timezone.now())
    return root


def claims_release_lapsed(*, root: Quota, now: datetime) -> int:
    """Claims of the family whose hold lapsed: EXPIRED, their seats back to ALLOCATED (the
    inventory too, if the sweep has not done it). A claim whose card payment succeeded but is
    not delivered yet is left to the delivery, which completes or refunds it. Needs the root
    lock."""
    lapsed = list(QuotaClaim.objects.filter(
        Q(quota=root) | Q(quota__parent=root), status=ClaimStatus.ACTIVE, expires_at__lte=now,
    ).filter(~payment_success_pending(CLAIM_REFERENCE_PREFIX)))
    for claim in lapsed:
        claim_release(claim, to_status=ClaimStatus.EXPIRED, reason="claim expired")
    return len(lapsed)


def claim_release(claim: QuotaClaim, *, to_status: str, reason: str, actor=None) -> None:
    """End a live claim without a sale: its seats return to ALLOCATED in the quota (and in the
    inventory, owned by the quota again). Needs the root lock."""
    seats = list(claim.seats.exclude(status__in=[QuotaSeatStatus.SOLD,
                                                 QuotaSeatStatus.CANCELLED]))
    held = [s.inventory_id for s in seats
            if s.status == QuotaSeatStatus.RESERVED and s.inventory_id]
    if held:
        holds_release(owner=claim.hold_owner, reason=reason, actor=actor)  # -> ALLOCATED
        # Owned by the quota again (the periodic sweep may have released them already).
        SeatInventory.objects.filter(id__in=held, status=SeatStatus.ALLOCATED).update(
            hold_owner=claim.quota.hold_owner)
    QuotaSeat.objects.filter(id__in=[s.id for s in seats]).update(
        status=QuotaSeatStatus.ALLOCATED, claim=None)
    claim.status = to_status
    claim.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=f"quota_claim.{to_status.lower()}", obj=claim,
                 after={"reason": reason, "seats": len(seats)})
    status_refresh(claim.quota)


# --- derived statuses -------------------------------------------------------------------------

def status_refresh(quota: Quota, *, actor=None) -> None:
    """Bring a quota's status in line with its seats (and its root's, for a subquota)."""
    if quota.status in CLOSED_STATUSES:
        if quota.is_subquota:
            status_refresh(quota.parent, actor=actor)
        return
    live = Counter(QuotaSeat.objects.filter(
        Q(subquota=quota) if quota.is_subquota else Q(quota=quota),
    ).exclude(status=QuotaSeatStatus.CANCELLED).values_list("status", flat=True))
    if quota.is_subquota:
        selected = own_seats(quota).filter(claim__status=ClaimStatus.ACTIVE).exists()
        if live and set(live) == {QuotaSeatStatus.SOLD}:
            target = Q_.SOLD
        elif live.get(QuotaSeatStatus.SOLD) or live.get(QuotaSeatStatus.RESERVED) or selected:
            target = Q_.RESERVED
        else:
            target = Q_.ALLOCATED
        quota_transition(quota, target, actor=actor, reason="seats changed")
        status_refresh(quota.parent, actor=actor)
        return
    all_sold = bool(live) and set(live) == {QuotaSeatStatus.SOLD}
    quota_transition(quota, Q_.FULLY_CLAIMED if all_sold else Q_.ACTIVE, actor=actor,
                     reason="seats changed")


# --- live sync --------------------------------------------------------------------------------

def sync_group(root_id: int) -> str:
    return f"quota.{root_id}"


def sync_notify(quota: Quota, event: str, **data) -> None:
    """Tell every open portal page and app screen of the quota family, after commit."""
    broadcast_on_commit(sync_group(quota.root_id), {
        "type": "quota.changed",
        "event": {"event": event, "quota_id": quota.pk, "root_id": quota.root_id, **data}})


def generic_change_check(quota_type: str) -> None:
    """The generic quota paths list Petrol quotas but never make or change them (E12-F4)."""
    if quota_type == QuotaType.PETROL:
        raise ValidationFailed("Petrol quotas are created and cancelled at "
                               "/api/admin/petrol/quotas (Django Admin: Petrol quotas).",
                               code="petrol_quota", field="quota_type")
