"""Ending tickets before the match, with their money back: the one path behind an admin or
support refund (E8-F3), a fan's cancellation (E9-F8) and a cancelled match (E2-F7).

`tickets_end` runs in the caller's transaction with the order locked. Locks, in the order of
docs/architecture.md: the order, its tickets, the quota seats they came from (`tickets_ending`
receivers), the seats, standing holds, then the payment (in `payments.refunds.refund_create`).
A ticket is ended once: only VALID tickets of the locked order qualify, so two refunds of one
ticket at once find it VALID only once. The money goes back through the one refund service."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.dispatch import Signal

from core.audit import audit_record
from core.errors import Conflict, DomainError, NotFound, ValidationFailed
from core.locks import lock_one, lock_rows
from core.status import StatusMachine
from payments.models import Refund, RefundStatus
from payments.refunds import refund_create, refunds_total
from seating.models import SeatStatus
from seating.selectors import status_summary_invalidate
from seating.services.inventory import ga_places_release, seats_transition
from ticketing.aftersale.policy import refund_quote
from ticketing.models import Order, OrderStatus, RefundState, Ticket, TicketStatus
from ticketing.services.checkout import order_transition

# Tickets end once: from VALID to one of these, never back.
TICKET_STATUS = StatusMachine("ticket", {
    TicketStatus.VALID: {TicketStatus.CANCELLED, TicketStatus.REFUNDED,
                         TicketStatus.CANCELLED_MATCH_CANCELLED,
                         TicketStatus.CANCELLED_BLACKLIST, TicketStatus.ATTENDED},
})

# Sent inside the transaction, before the seats are released, with `ticket_ids`: the quotas
# app closes the quota seats the tickets were claimed from.
tickets_ending = Signal()


@dataclass
class Ending:
    refund: Refund | None
    tickets: list[Ticket]


def cutoff_hours(match) -> int:
    """How long before kick-off the after-sale closes: 48 hours unless the match sets its own."""
    hours = match.after_sale_cutoff_hours
    return settings.AFTER_SALE_CUTOFF_HOURS if hours is None else hours


def after_sale_open(match, *, now: datetime) -> bool:
    return now <= match.kick_off_time - timedelta(hours=cutoff_hours(match))


def cutoff_check(match, *, now: datetime, doing: str,
                 error: type[DomainError] = ValidationFailed) -> None:
    """`error` (422 unless told) once the match is closer than its after-sale cutoff."""
    if not after_sale_open(match, now=now):
        raise error(f"Tickets can no longer be {doing}: that closes {cutoff_hours(match)} "
                    "hours before kick-off.", code="after_sale_closed")


def order_locked(order_id: int, *, buyer=None) -> Order:
    """The order, its row locked (404 if it is not there, or not the buyer's when given)."""
    orders = Order.objects.select_related("match", "buyer").filter(pk=order_id)
    if buyer is not None:
        orders = orders.filter(buyer=buyer)
    try:
        return lock_one(orders)
    except Order.DoesNotExist:
        raise NotFound("No such order.", code="order_not_found") from None


def order_tickets_locked(order: Order, ticket_ids: list[int] | None) -> list[Ticket]:
    """The order's tickets named by `ticket_ids` (all of its valid ones when None), locked,
    each VALID; 422 naming the ids that are not the order's, 409 for those no longer valid."""
    if ticket_ids is None:
        tickets = lock_rows(order.tickets.select_related("order_item")
                            .filter(status=TicketStatus.VALID))
        if not tickets:
            raise Conflict("This order has no valid tickets left.", code="nothing_to_end")
        return tickets
    wanted = sorted(set(ticket_ids))
    tickets = lock_rows(order.tickets.select_related("order_item").filter(pk__in=wanted))
    missing = sorted(set(wanted) - {t.pk for t in tickets})
    if missing:
        raise ValidationFailed(f"Tickets {missing} are not in order {order.number}.",
                               code="ticket_not_in_order", field="ticket_ids")
    ended = [f"{t.pk} is {t.status}" for t in tickets if t.status != TicketStatus.VALID]
    if ended:
        raise Conflict(f"These tickets can no longer be refunded or cancelled: "
                       f"{', '.join(ended)}.", code="ticket_not_valid")
    return tickets


def tickets_end(*, order: Order, tickets: list[Ticket], to_status: str, source: str | None,
                reason: str, actor, now: datetime, release_seats: bool = True) -> Ending:
    """End the (locked, VALID) `tickets` of the locked `order`: status, seats back on sale,
    the refund the policy gives for `source` (none when `source` is None: a ban refunds
    nothing), the order's refund status. Audited."""
    for ticket in tickets:
        TICKET_STATUS.check(ticket.status, to_status)
    ids = [t.pk for t in tickets]
    tickets_ending.send(sender=Ticket, ticket_ids=ids, order_id=order.pk)
    if release_seats:
        _places_release(order, tickets, reason=reason, actor=actor)
    refund = None
    if source is not None:
        prices = dict(order.items.values_list("id", "unit_price"))
        quote = refund_quote(prices=prices, fee=order.fee_amount,
                             refunding=[t.order_item_id for t in tickets], source=source)
        refund = refund_create(
            reference=order.payment_reference, amount=quote.amount,
            fee_retained=quote.fee_retained, source=source, reason=reason,
            payment=order.payment, debt=order.debt, requested_by=actor)
    Ticket.objects.filter(pk__in=ids).update(status=to_status, refund=refund, ended_at=now)
    for ticket in tickets:
        ticket.status, ticket.refund, ticket.ended_at = to_status, refund, now
    if refund is not None:
        _order_refund_state(order, actor=actor, reason=reason)
    audit_record(actor=actor, action=f"tickets.{to_status.lower()}", obj=order,
                 after={"tickets": ids, "reason": reason, "source": source} | (
                     {"refund_id": refund.pk, "amount": str(refund.amount),
                      "fee_retained": str(refund.fee_retained)} if refund else {}))
    return Ending(refund=refund, tickets=tickets)


def _places_release(order: Order, tickets: list[Ticket], *, reason: str, actor) -> None:
    """Seats go back on sale at once (SOLD -> AVAILABLE, with audit rows); standing places
    return to their sector's capacity."""
    seat_ids = sorted(t.inventory_id for t in tickets if t.inventory_id)
    if seat_ids:
        seats_transition(inventory_ids=seat_ids, to_status=SeatStatus.AVAILABLE,
                         from_statuses={SeatStatus.SOLD}, reason=reason[:200], actor=actor,
                         order_id=order.pk)
    standing: dict[int, int] = {}
    for hold_id in (order.items.filter(ticket__in=[t.pk for t in tickets], inventory=None)
                    .values_list("ga_hold_id", flat=True)):
        if hold_id:
            standing[hold_id] = standing.get(hold_id, 0) + 1
    for hold_id, count in sorted(standing.items()):
        ga_places_release(hold_id=hold_id, quantity=count)
    match_id = order.match_id
    transaction.on_commit(lambda: status_summary_invalidate(match_id))


def _order_refund_state(order: Order, *, actor, reason: str) -> None:
    """NONE / PARTIAL / FULL from how many of its tickets were given back; a FULL order is
    REFUNDED."""
    counts = order.tickets.aggregate(total=Count("id"),
                                     ended=Count("id", filter=Q(refund__isnull=False)))
    state = (RefundState.NONE if not counts["ended"] else
             RefundState.FULL if counts["ended"] == counts["total"] else RefundState.PARTIAL)
    if state != order.refund_status:
        order.refund_status = state
        order.save(update_fields=["refund_status", "updated_at"])
    if state == RefundState.FULL and order.status == OrderStatus.COMPLETED:
        order_transition(order, OrderStatus.REFUNDED, actor=actor, reason=reason)


def order_refunded_amount(order: Order) -> Decimal:
    """What has come back for the order's tickets so far (their completed refunds)."""
    return refunds_total(Refund.objects.filter(
        pk__in=order.tickets.exclude(refund=None).values("refund"),
        status=RefundStatus.COMPLETED))
