"""A fan cancelling some of their tickets (E9-F8): only the buyer, until the after-sale cutoff,
only tickets still valid and never transferred. The tickets become CANCELLED, their seats go
back on sale, and the price with its share of the fee is refunded; the cancellation request
follows the refund to COMPLETED or FAILED (aftersale.receivers)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from payments.models import RefundSource, RefundStatus
from ticketing.aftersale.models import CancellationRequest, CancellationStatus
from ticketing.aftersale.services.endings import (
    cutoff_check,
    order_locked,
    order_tickets_locked,
    tickets_end,
)
from ticketing.aftersale.services.notify import notify_cancelled
from ticketing.models import Order, OrderStatus, Ticket, TicketStatus


@dataclass
class Cancellation:
    request: CancellationRequest
    tickets: list[Ticket]


def buyer_check(*, user, order_id: int) -> None:
    """404 for an order that does not exist, 403 for one that is not the user's (a holder of
    one of its tickets included): only the buyer cancels."""
    buyer_id = Order.objects.filter(pk=order_id).values_list("buyer_id", flat=True).first()
    if buyer_id is None:
        raise NotFound("No such order.", code="order_not_found")
    if buyer_id != user.pk:
        raise Forbidden("Only the buyer of an order can cancel its tickets.", code="not_buyer")


def tickets_cancel(*, user, order_id: int, ticket_ids: list[int], reason: str) -> Cancellation:
    if not ticket_ids:
        raise ValidationFailed("Choose the tickets to cancel.", field="ticket_ids",
                               code="ticket_ids_required")
    buyer_check(user=user, order_id=order_id)
    now = timezone.now()
    with transaction.atomic():
        order = order_locked(order_id, buyer=user)
        if order.status != OrderStatus.COMPLETED:
            raise Conflict(f"Order {order.number} is {order.status}: there is nothing to cancel.",
                           code="order_not_completed")
        cutoff_check(order.match, now=now, doing="cancelled")
        tickets = order_tickets_locked(order, ticket_ids)
        transferred = [t.pk for t in tickets if t.transfer_count]
        if transferred:
            raise Conflict(f"Tickets {transferred} were transferred to someone else and can no "
                           "longer be cancelled.", code="ticket_transferred",
                           field="ticket_ids")
        request = CancellationRequest.objects.create(
            order=order, ticket_ids=sorted(t.pk for t in tickets), reason=reason[:500],
            refund_amount=0, initiated_by=user)
        ending = tickets_end(order=order, tickets=tickets, to_status=TicketStatus.CANCELLED,
                             source=RefundSource.SELF_SERVICE,
                             reason=reason or "cancelled by the buyer", actor=user, now=now)
        request.refund, request.refund_amount = ending.refund, ending.refund.amount
        request.status = CancellationStatus.PROCESSING
        request.save(update_fields=["refund", "refund_amount", "status"])
        if ending.refund.status == RefundStatus.COMPLETED:  # nothing to send: free or deferred
            CancellationRequest.objects.filter(pk=request.pk).update(
                status=CancellationStatus.COMPLETED, completed_at=now)
            request.status, request.completed_at = CancellationStatus.COMPLETED, now
        notify_cancelled(order, ending.tickets, reason=reason or "cancelled by the buyer",
                         amount=ending.refund.amount)
    return Cancellation(request=request, tickets=ending.tickets)
