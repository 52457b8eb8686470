"""Subquotas (E7-F6): a holder with `can_create_subquotas` sends some of their tickets to
someone else, who claims them through the same three steps. One level only; the holder may
retract a subquota nobody has started claiming, and its seats return to the holder."""

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, DomainError, Forbidden, NotFound
from quotas.models import Quota, QuotaSeat, QuotaStatus
from quotas.services.common import (
    free_seats_take,
    is_holder,
    quota_for_holder,
    quota_transition,
    recipient_account,
    root_lock,
    selection_check,
    status_refresh,
    sync_notify,
)
from quotas.services.creation import email_clean
from quotas.services.invitations import subquota_invite


def _may_delegate(quota: Quota) -> None:
    if quota.is_subquota:
        raise Forbidden("Tickets you received from someone else cannot be sent on; claim them "
                        "yourself.", code="subquota_cannot_delegate")
    if not quota.can_create_subquotas:
        raise Forbidden("This quota does not allow sending tickets to someone else.",
                        code="subquotas_not_allowed")
    if quota.status != QuotaStatus.ACTIVE:
        raise Conflict(f"This quota is {quota.status.lower().replace('_', ' ')}.",
                       code="quota_not_claimable")


def subquota_create(*, user, quota_id: int, recipient_email: str, seat_ids=None,
                    quantity: int | None = None, recipient_name: str = "",
                    internal_note: str = "", sender_name: str = "", request=None) -> Quota:
    """Delegate chosen seats (numbered) or a quantity (non-numbered) to `recipient_email`."""
    quota = quota_for_holder(user=user, quota_id=quota_id)
    _may_delegate(quota)
    email = email_clean(recipient_email)
    if email == quota.recipient_email.lower() or email == (user.email or "").lower():
        raise DomainError("These tickets are already yours: claim them directly instead of "
                          "sending them to yourself.", code="own_email",
                          field="recipient_email")
    selection_check(quota, seat_ids, quantity, purpose="send")
    with transaction.atomic():
        root = root_lock(quota)
        _may_delegate(root)
        chosen = free_seats_take(root, seat_ids, quantity, purpose="send")
        sub = Quota.objects.create(
            match=root.match, parent=root, recipient_email=email,
            recipient_user=recipient_account(email), recipient_name=recipient_name.strip(),
            internal_note=internal_note.strip(),
            quantity=len(chosen), discount_code=root.discount_code,
            discount_percent=root.discount_percent, algorithm=root.algorithm,
            expires_at=root.expires_at, can_create_subquotas=False,
            deferred_payment=root.deferred_payment, transfer_allowed=root.transfer_allowed,
            auto_send_email=True, status=QuotaStatus.ALLOCATED, created_by=user)
        QuotaSeat.objects.filter(id__in=[s.id for s in chosen]).update(subquota=sub)
        audit_record(actor=user, action="subquota.created", obj=sub, request=request,
                     after={"parent_id": root.pk, "email": email, "quantity": len(chosen)})
        subquota_invite(subquota=sub, sender_name=sender_name or root.recipient_name
                        or root.recipient_email)
        status_refresh(root)
        sync_notify(sub, "subquota_created", count=len(chosen))
    return sub


def subquotas_of(*, user, quota_id: int) -> list[Quota]:
    quota = quota_for_holder(user=user, quota_id=quota_id)
    if quota.is_subquota:
        raise Forbidden("A subquota has no subquotas.", code="subquota_cannot_delegate")
    return list(quota.subquotas.order_by("-created_at", "-id"))


def subquota_retract(*, user, subquota_id: int, request=None) -> Quota:
    """Take back a subquota nobody has started claiming (ALLOCATED): 400 otherwise."""
    sub = Quota.objects.select_related("parent").filter(pk=subquota_id,
                                                        parent__isnull=False).first()
    if sub is None or not (is_holder(user, sub.parent) or is_holder(user, sub)):
        raise NotFound("No such subquota.", code="subquota_not_found")
    if not is_holder(user, sub.parent):  # its own recipient knows it exists
        raise Forbidden("Only the holder who sent these tickets can take them back.",
                        code="not_quota_holder")
    with transaction.atomic():
        root_lock(sub)  # releases lapsed claims first: a lapsed claim no longer blocks
        sub.refresh_from_db()
        if sub.status != QuotaStatus.ALLOCATED:
            raise DomainError(
                f"Only tickets nobody has started claiming can be taken back; this subquota is "
                f"{sub.status}.", code="subquota_not_retractable")
        returned = QuotaSeat.objects.filter(subquota=sub).update(subquota=None)
        quota_transition(sub, QuotaStatus.RETRACTED, actor=user, reason="retracted",
                         retracted_at=timezone.now())
        status_refresh(sub.parent)
        sync_notify(sub, "subquota_retracted", count=returned)
    return sub
