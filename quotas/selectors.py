"""What the portal, the app and the admin read about quotas: one plain-dict shape per quota
(counts, seats as cards, expiry reminder, subquotas), built in a fixed number of queries."""

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from quotas.models import ClaimStatus, Quota, QuotaSeat, QuotaSeatStatus, QuotaStatus
from quotas.services.common import expiry_state, holder_quotas, own_seats, seat_counts


def _match(quota: Quota) -> dict:
    match = quota.match
    return {"id": match.pk, "name": f"{match.home_team} v {match.away_team}",
            "kick_off_time": match.kick_off_time, "is_numbered": match.is_numbered,
            "match_type": match.match_type}


def seat_cards(quota: Quota, user=None) -> list[dict]:
    """The quota's own seats as cards (sector, row, seat), with whether each can be selected
    now; for a root, delegated seats are listed with their recipient."""
    seats = (QuotaSeat.objects.filter(Q(subquota=quota) if quota.is_subquota
                                      else Q(quota=quota))
             .exclude(status=QuotaSeatStatus.CANCELLED)
             .select_related("match_sector", "inventory", "subquota", "claim")
             .order_by("match_sector__display_order", "inventory__grid_row",
                       "inventory__grid_col", "id"))
    now = timezone.now()
    cards = []
    for seat in seats:
        live_claim = seat.claim if (seat.claim and seat.claim.status == ClaimStatus.ACTIVE
                                    and seat.claim.expires_at > now) else None
        delegated = (not quota.is_subquota and seat.subquota_id is not None
                     and seat.subquota.status != QuotaStatus.RETRACTED)
        status = seat.status
        if status == QuotaSeatStatus.RESERVED and live_claim is None:
            status = QuotaSeatStatus.ALLOCATED  # its claim lapsed; the sweep will catch up
        cards.append({
            "id": seat.pk, "sector": seat.match_sector.code,
            "sector_name": seat.match_sector.name,
            "row": seat.inventory.row_label if seat.inventory_id else None,
            "seat": seat.inventory.seat_number if seat.inventory_id else None,
            "status": "DELEGATED" if delegated else status,
            "delegated_to": seat.subquota.recipient_email if delegated else None,
            "subquota_id": seat.subquota_id if delegated else None,
            "claim_id": live_claim.pk if live_claim else None,
            "mine": bool(live_claim and user and live_claim.user_id == user.pk),
            "selectable": (not delegated and status == QuotaSeatStatus.ALLOCATED
                           and live_claim is None),
        })
    return cards


def quota_summary(quota: Quota, *, user=None, with_seats: bool = True) -> dict:
    now = timezone.now()
    counts = seat_counts(quota)
    data = {
        "id": quota.pk, "kind": "subquota" if quota.is_subquota else "quota",
        "quota_type": quota.quota_type,
        "parent_id": quota.parent_id, "match": _match(quota),
        "recipient_email": quota.recipient_email, "recipient_name": quota.recipient_name,
        "sent_by": (quota.parent.recipient_name or quota.parent.recipient_email)
        if quota.is_subquota else None,
        "quantity": quota.quantity, "status": quota.status, "counts": counts,
        "available_to_claim": own_seats(quota).filter(
            status=QuotaSeatStatus.ALLOCATED).filter(
            Q(claim__isnull=True) | ~Q(claim__status=ClaimStatus.ACTIVE)
            | Q(claim__expires_at__lte=now)).count(),
        "discount_code": quota.discount_code, "discount_percent": str(quota.discount_percent),
        "is_free": quota.is_free, "deferred_payment": quota.deferred_payment,
        "transfer_allowed": quota.transfer_allowed,
        "can_create_subquotas": quota.can_create_subquotas and not quota.is_subquota,
        "expires_at": quota.expires_at,
        "expiry_state": expiry_state(quota, now, settings.QUOTA_EXPIRY_WARNING_DAYS),
    }
    if with_seats:
        data["seats"] = seat_cards(quota, user) if quota.match.is_numbered else []
    if user is not None:  # so a page opened anew can resume the holder's claim in progress
        data["my_claims"] = list(quota.claims.filter(
            user=user, status=ClaimStatus.ACTIVE, expires_at__gt=now).order_by("-id")
            .values_list("id", flat=True))
    if not quota.is_subquota:
        data["subquotas"] = [subquota_row(sub) for sub in quota.subquotas.order_by("-id")]
    return data


def subquota_row(sub: Quota) -> dict:
    counts = seat_counts(sub)
    return {"id": sub.pk, "recipient_email": sub.recipient_email,
            "recipient_name": sub.recipient_name, "quantity": sub.quantity,
            "status": sub.status, "counts": counts, "created_at": sub.created_at,
            "retracted_at": sub.retracted_at, "can_retract": sub.status == QuotaStatus.ALLOCATED}


def dashboard(user) -> list[dict]:
    """Every quota and subquota of the user, soonest match first."""
    quotas = (holder_quotas(user).select_related("match", "parent")
              .exclude(status=QuotaStatus.RETRACTED)
              .order_by("match__kick_off_time", "id"))
    return [quota_summary(q, user=user) for q in quotas]


def seat_ids_of_quota(quota_id: int) -> QuerySet:
    """Inventory ids of a quota's seats, or of the seats delegated to a subquota (a subquery)."""
    return (QuotaSeat.objects.filter(Q(quota_id=quota_id) | Q(subquota_id=quota_id))
            .values("inventory_id"))


def seat_ids_of_recipient(email: str) -> QuerySet:
    """Inventory ids of the seats of the quotas and subquotas addressed to this email."""
    return (QuotaSeat.objects.filter(Q(quota__recipient_email__iexact=email)
                                     | Q(subquota__recipient_email__iexact=email))
            .values("inventory_id"))
