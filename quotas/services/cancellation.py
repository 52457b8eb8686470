"""Cancelling a quota (E7-F7). `ALL_UNUSED` cancels ALLOCATED and RESERVED seats (claims in
progress are abandoned; a payment that still arrives is refunded), `UNFULFILLED_ONLY` only
ALLOCATED ones (claims already holding RESERVED seats may finish). Cancelled seats return to
the inventory as AVAILABLE; SOLD tickets stay valid. Subquotas lose their cancelled seats too.
The holder is told by email and push."""

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_one, lock_rows
from core.notifications import TemplateKey, email_send, push_send
from quotas.models import (
    CancellationType,
    ClaimStatus,
    Quota,
    QuotaClaim,
    QuotaSeat,
    QuotaSeatStatus,
    QuotaStatus,
)
from quotas.services.common import quota_transition, root_lock, status_refresh, sync_notify
from quotas.services.invitations import app_link
from seating.models import GeneralAdmissionHold, HoldStatus, SeatStatus
from seating.services.inventory import seats_transition

OPTIONS = {"all_unused": CancellationType.ALL_UNUSED,
           "unfulfilled_only": CancellationType.UNFULFILLED_ONLY}
CANCELS = {CancellationType.ALL_UNUSED: (QuotaSeatStatus.ALLOCATED, QuotaSeatStatus.RESERVED),
           CancellationType.UNFULFILLED_ONLY: (QuotaSeatStatus.ALLOCATED,)}


@dataclass
class Cancelled:
    quota: Quota
    option: str
    cancelled: int
    kept: dict[str, int]  # SOLD / RESERVED seats left as they were


def option_parse(value: str) -> str:
    option = OPTIONS.get((value or "").strip().lower())
    if option is None:
        raise ValidationFailed("Choose option=all_unused (allocated and reserved seats) or "
                               "option=unfulfilled_only (allocated seats only).",
                               code="invalid_option", field="option")
    return option


def cancellation_preview(quota: Quota) -> dict[str, int]:
    """How many seats each option would cancel, for the admin's confirmation page."""
    counts = Counter(QuotaSeat.objects.filter(quota=quota).values_list("status", flat=True))
    return {option: sum(counts.get(s, 0) for s in CANCELS[option]) for option in CANCELS} | {
        "sold": counts.get(QuotaSeatStatus.SOLD, 0)}


def quota_cancel(*, actor, quota_id: int, option: str, request=None) -> Cancelled:
    option = option_parse(option) if option not in CANCELS else option
    quota = Quota.objects.filter(pk=quota_id).first()
    if quota is None:
        raise NotFound("No such quota.", code="quota_not_found")
    if quota.is_subquota:
        raise Conflict("Cancel the quota it came from; a holder retracts subquotas.",
                       code="cancel_root_only")
    now = timezone.now()
    with transaction.atomic():
        root = root_lock(quota, now)
        if root.status == QuotaStatus.CANCELLED:
            raise Conflict("This quota is already cancelled.", code="quota_cancelled")
        seats = lock_rows(QuotaSeat.objects.filter(quota=root, status__in=CANCELS[option]))
        claim_ids = {s.claim_id for s in seats if s.claim_id}
        for claim in lock_rows(QuotaClaim.objects.filter(id__in=claim_ids,
                                                         status=ClaimStatus.ACTIVE)):
            claim.status = ClaimStatus.ABANDONED
            claim.save(update_fields=["status", "updated_at"])
        inventory_ids = [s.inventory_id for s in seats if s.inventory_id]
        if inventory_ids:
            seats_transition(inventory_ids=inventory_ids, to_status=SeatStatus.AVAILABLE,
                             from_statuses={SeatStatus.ALLOCATED, SeatStatus.RESERVED},
                             reason=f"quota {root.pk} cancelled ({option})", actor=actor)
        for hold_id, count in Counter(s.ga_hold_id for s in seats if s.ga_hold_id).items():
            _standing_release(hold_id, count, now)
        QuotaSeat.objects.filter(id__in=[s.id for s in seats]).update(
            status=QuotaSeatStatus.CANCELLED, claim=None)
        kept = Counter(QuotaSeat.objects.filter(quota=root).exclude(
            status=QuotaSeatStatus.CANCELLED).values_list("status", flat=True))
        for sub in root.subquotas.exclude(status__in=[QuotaStatus.CANCELLED,
                                                      QuotaStatus.RETRACTED]):
            if not sub.delegated_seats.exclude(status=QuotaSeatStatus.CANCELLED).exists():
                quota_transition(sub, QuotaStatus.CANCELLED, actor=actor, reason=option,
                                 cancelled_at=now, cancelled_by=actor, cancellation_type=option)
            else:
                status_refresh(sub, actor=actor)
        quota_transition(root, QuotaStatus.CANCELLED, actor=actor, reason=option,
                         cancelled_at=now, cancelled_by=actor, cancellation_type=option)
        audit_record(actor=actor, action="quota.cancel", obj=root, request=request,
                     after={"option": option, "cancelled_seats": len(seats),
                            "kept": dict(kept)})
        _notify(root, len(seats))
        sync_notify(root, "quota_cancelled", count=len(seats))
    return Cancelled(quota=root, option=option, cancelled=len(seats), kept=dict(kept))


def _standing_release(hold_id: int, count: int, now) -> None:
    """Give `count` standing places of a quota's ALLOCATED hold back to the sector."""
    hold = lock_one(GeneralAdmissionHold.objects.filter(pk=hold_id))
    GeneralAdmissionHold.objects.filter(pk=hold_id).update(
        quantity=F("quantity") - count, updated_at=now,
        status=HoldStatus.RELEASED if hold.quantity == count else hold.status)


def _notify(quota: Quota, cancelled: int) -> None:
    if not cancelled:
        return
    match = f"{quota.match.home_team} v {quota.match.away_team}"
    email_send(template_key=TemplateKey.QUOTA_CANCELLATION, to=quota.recipient_email,
               variables={"name": quota.recipient_name or quota.recipient_email,
                          "cancelled_count": cancelled, "match": match})
    if quota.recipient_user_id:
        push_send(user=quota.recipient_user, notification_type="quota_cancelled",
                  title="Your ticket quota has changed",
                  body=f"{cancelled} unclaimed ticket(s) for {match} were cancelled.",
                  data={"quota_id": str(quota.pk), "deeplink": app_link(quota)})
