"""An admin or support refund of a whole order or some of its tickets (E8-F3): the tickets
become REFUNDED (their QR codes stop opening gates), their seats go back on sale at once, and
the ticket price is given back, the service fee kept."""

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, ValidationFailed
from payments.models import RefundSource
from ticketing.aftersale.services.endings import (
    Ending,
    order_locked,
    order_tickets_locked,
    tickets_end,
)
from ticketing.models import OrderStatus, TicketStatus


def order_refund(*, order_id: int, ticket_ids: list[int] | None, reason: str,
                 actor) -> Ending:
    """Refund the order's `ticket_ids` (every valid ticket when None). A ticket is refunded
    once: a second refund of it, at the same moment or later, is refused with 409."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Say why the order is refunded.", field="reason",
                               code="reason_required")
    with transaction.atomic():
        order = order_locked(order_id)
        if order.status not in (OrderStatus.COMPLETED, OrderStatus.REFUNDED):
            raise Conflict(f"Order {order.number} is {order.status}: only a completed order's "
                           "tickets can be refunded.", code="order_not_completed")
        tickets = order_tickets_locked(order, ticket_ids)
        return tickets_end(order=order, tickets=tickets, to_status=TicketStatus.REFUNDED,
                           source=RefundSource.SUPPORT, reason=reason, actor=actor,
                           now=timezone.now())
