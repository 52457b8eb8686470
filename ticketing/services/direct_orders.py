"""Orders that do not come from a cart: a quota claim (and later a petrol-station sale) is
recorded as a COMPLETED order with its tickets in one go, once its caller has sold the seats.

The caller owns the seats and the locks; this only writes the order, its items and tickets,
audits, and notifies the buyer (email and push, delivered after commit)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.audit import audit_record
from core.pii import keyed_hash
from payments.models import Debt, Payment
from payments.pricing import OrderAmounts
from seating.models import Match
from ticketing.models import Order, OrderItem, OrderStatus, Ticket
from ticketing.services.checkout import order_notify_completed, order_number
from ticketing.services.tickets import tickets_issue


@dataclass(frozen=True)
class DirectLine:
    """One ticket: its seat (or standing place), price after discount, and holder."""

    match_sector_id: int
    price_category_id: int
    unit_price: Decimal
    holder: dict  # from ticketing.services.holders
    inventory_id: int | None = None
    ga_hold_id: int | None = None


def order_record_completed(*, buyer, match: Match, lines: list[DirectLine],
                           amounts: OrderAmounts, source: str, now: datetime,
                           payment: Payment | None = None, debt: Debt | None = None,
                           transfer_allowed: bool = False, actor=None,
                           reference: str = "") -> tuple[Order, list[Ticket]]:
    """Write a COMPLETED order with one item and one VALID ticket per line. `debt`: what is
    owed for it (deferred payment), reduced if its tickets are refunded."""
    order = Order.objects.create(
        buyer=buyer, match=match, source=source, status=OrderStatus.COMPLETED,
        ticket_amount=amounts.ticket_amount, ticket_vat_amount=amounts.ticket_vat_amount,
        fee_amount=amounts.fee_amount, fee_vat_amount=amounts.fee_vat_amount,
        total_amount=amounts.total_amount, fee_percent=amounts.fee_percent,
        currency=amounts.currency, payment=payment, debt=debt, paid_at=now if payment else None,
        ended_at=now)
    order.number = order_number(order)
    order.save(update_fields=["number"])
    OrderItem.objects.bulk_create(
        OrderItem(order=order, inventory_id=line.inventory_id, ga_hold_id=line.ga_hold_id,
                  match_sector_id=line.match_sector_id,
                  price_category_id=line.price_category_id, unit_price=line.unit_price,
                  oib_hash=keyed_hash(line.holder.get("oib") or ""), **line.holder)
        for line in lines)
    tickets = tickets_issue(order=order, now=now, transfer_allowed=transfer_allowed)
    audit_record(actor=actor or buyer, action="order.completed", obj=order,
                 after={"number": order.number, "source": source, "reference": reference,
                        "tickets": len(tickets), "total_amount": str(order.total_amount)})
    order_notify_completed(order, len(tickets))
    return order, tickets

