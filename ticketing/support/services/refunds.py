"""A refund the purchaser asks support for (E10-F3). Only the purchaser may ask: the agent
checks the caller's identity and gives their email or OIB, which must be the buyer's. More than
48 hours before kick-off the refund is made at once, no reason needed; within 48 hours a reason
is required, and a refund above SUPPORT_REFUND_APPROVAL_THRESHOLD waits for a Supervisor
(PENDING_APPROVAL -> APPROVED / REJECTED), its tickets valid until then. The refund itself is
the one refund service's (`order_refund`).

Locks: the request row, then (inside `order_refund`) the order and its tickets."""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import audit_record
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.locks import lock_one
from core.pii import keyed_hash, mask
from core.roles import Role, user_has_role
from payments.models import Refund, RefundSource
from ticketing.aftersale.policy import refund_quote
from ticketing.aftersale.services.endings import after_sale_open, cutoff_hours, order_locked
from ticketing.aftersale.services.refunds import order_refund
from ticketing.models import Order, OrderStatus, TicketStatus
from ticketing.support.models import (
    REFUND_REQUEST_STATUS,
    RefundRequestStatus,
    SupportRefundRequest,
)

NO_REASON = "Refund asked for by the purchaser through support"


def refund_request(*, agent, order_id: int, ticket_ids: list[int] | None, reason: str,
                   requester_name: str, requester_email: str, requester_oib: str,
                   identity_verified: bool, identity_document: str) -> SupportRefundRequest:
    order = (Order.objects.select_related("match", "buyer__profile").filter(pk=order_id)
             .first())
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    if order.status != OrderStatus.COMPLETED:
        raise Conflict(f"Order {order.number} is {order.status}: only a completed order's "
                       "tickets can be refunded.", code="order_not_completed")
    _purchaser_check(order, email=requester_email, oib=requester_oib,
                     verified=identity_verified)
    reason = reason.strip()
    within = not after_sale_open(order.match, now=timezone.now())
    if within and not reason:
        raise ValidationFailed(f"The match is less than {cutoff_hours(order.match)} hours "
                               "away: say why the order is refunded.", field="reason",
                               code="reason_required")
    with transaction.atomic():
        order_locked(order.pk)  # the lock order: order, request, then the refund's
        amount = _quote(order, ticket_ids)
        waits = within and (amount + _refunded_late(order)
                            > settings.SUPPORT_REFUND_APPROVAL_THRESHOLD)
        try:
            with transaction.atomic():
                asked = SupportRefundRequest.objects.create(
                    order=order, ticket_ids=sorted(set(ticket_ids)) if ticket_ids else None,
                    amount=amount, reason=reason, within_cutoff=within,
                    requester_name=requester_name, requester_email=requester_email.strip(),
                    requester_oib_masked=mask(requester_oib.strip()),
                    identity_document=identity_document, agent=agent,
                    status=(RefundRequestStatus.PENDING_APPROVAL if waits
                            else RefundRequestStatus.PROCESSED))
        except IntegrityError:  # the partial unique index: one waiting request per order
            raise Conflict(f"Order {order.number} already has a refund request waiting for "
                           "a Supervisor: approve or reject that one first.",
                           code="refund_request_pending") from None
        audit_record(actor=agent, action="support_refund.requested", obj=asked,
                     after={"order_id": order.pk, "amount": str(amount), "reason": reason,
                            "status": asked.status, "requester": requester_name,
                            "identity_document": identity_document})
        if not waits:
            asked.refund = _refund(asked, actor=agent)
            asked.save(update_fields=["refund"])
    return asked


def refund_request_approve(*, request_id: int, actor) -> SupportRefundRequest:
    """A Supervisor other than the agent who asked approves: the order is refunded. Two
    approvals at once make one refund; the second gets 409."""
    _supervisor_check(actor)
    unlocked = SupportRefundRequest.objects.filter(pk=request_id).first()
    if unlocked is None:
        raise NotFound("No such refund request.", code="refund_request_not_found")
    with transaction.atomic():
        order_locked(unlocked.order_id)  # the lock order: order, request, then the refund's
        asked = _pending_locked(request_id)
        if asked.agent_id == actor.pk:
            raise Forbidden("A refund request is approved by someone other than who made it.",
                            code="self_approval")
        REFUND_REQUEST_STATUS.move(asked, RefundRequestStatus.APPROVED, decided_by=actor,
                                   decided_at=timezone.now(),
                                   refund=_refund(asked, actor=actor))
        asked.save(update_fields=["status", "decided_by", "decided_at", "refund"])
        audit_record(actor=actor, action="support_refund.approved", obj=asked,
                     after={"refund_id": asked.refund_id, "amount": str(asked.amount)})
    return asked


def refund_request_reject(*, request_id: int, actor, note: str) -> SupportRefundRequest:
    _supervisor_check(actor)
    note = note.strip()
    if not note:
        raise ValidationFailed("Say why the refund is refused.", field="note",
                               code="note_required")
    with transaction.atomic():
        asked = _pending_locked(request_id)
        REFUND_REQUEST_STATUS.move(asked, RefundRequestStatus.REJECTED, decided_by=actor,
                                   decided_at=timezone.now(), decision_note=note[:500])
        asked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=actor, action="support_refund.rejected", obj=asked,
                     after={"note": note})
    return asked


def _refund(asked: SupportRefundRequest, *, actor) -> Refund:
    return order_refund(order_id=asked.order_id, ticket_ids=asked.ticket_ids,
                        reason=asked.reason or NO_REASON, actor=actor).refund


def _refunded_late(order: Order) -> Decimal:
    """What support already refunded of the order within the cutoff without a Supervisor:
    splitting a refund into small ones does not pass the threshold."""
    return SupportRefundRequest.objects.filter(
        order=order, within_cutoff=True,
        status__in=(RefundRequestStatus.PROCESSED, RefundRequestStatus.APPROVED),
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")


def _purchaser_check(order: Order, *, email: str, oib: str, verified: bool) -> None:
    """The caller is the order's buyer: identity checked by the agent, and the email or OIB
    they give is the buyer's (403 otherwise)."""
    if not verified:
        raise ValidationFailed("Check the caller's identity before asking for a refund.",
                               field="identity_verified", code="identity_not_verified")
    email, oib = email.strip(), oib.strip()
    if not email and not oib:
        raise ValidationFailed("Give the caller's email or OIB: only the purchaser may ask.",
                               field="requester_email", code="requester_required")
    profile = getattr(order.buyer, "profile", None)
    email_ok = not email or email.lower() == order.buyer.email.lower()
    oib_ok = not oib or (profile is not None and profile.oib_hash == keyed_hash(oib))
    if not (email_ok and oib_ok):
        raise Forbidden("Only the purchaser of the order may ask for its refund.",
                        code="not_purchaser")


def _quote(order: Order, ticket_ids: list[int] | None) -> Decimal:
    """What refunding `ticket_ids` (every valid ticket when None) gives back; 422 naming the
    ids that are not valid tickets of the order."""
    valid = dict(order.tickets.filter(status=TicketStatus.VALID)
                 .values_list("pk", "order_item_id"))
    wanted = sorted(set(ticket_ids)) if ticket_ids else sorted(valid)
    if not wanted:
        raise Conflict("This order has no valid tickets left.", code="nothing_to_end")
    not_valid = [pk for pk in wanted if pk not in valid]
    if not_valid:
        raise ValidationFailed(f"Tickets {not_valid} are not valid tickets of order "
                               f"{order.number}.", field="ticket_ids",
                               code="ticket_not_refundable")
    prices = dict(order.items.values_list("id", "unit_price"))
    return refund_quote(prices=prices, fee=order.fee_amount,
                        refunding=[valid[pk] for pk in wanted],
                        source=RefundSource.SUPPORT).amount


def _supervisor_check(actor) -> None:
    if not user_has_role(actor, Role.SUPERVISOR):
        raise Forbidden("Only a Supervisor approves or rejects a refund request.",
                        code="supervisor_required")


def _pending_locked(request_id: int) -> SupportRefundRequest:
    try:
        asked = lock_one(SupportRefundRequest.objects.filter(pk=request_id))
    except SupportRefundRequest.DoesNotExist:
        raise NotFound("No such refund request.", code="refund_request_not_found") from None
    if asked.status != RefundRequestStatus.PENDING_APPROVAL:
        raise Conflict(f"This refund request is already {asked.status}.",
                       code="refund_request_decided")
    return asked
